"""Month M-1's statement per platform: generated once, from the ledger, however often asked;
the platform's statement imported beside it, differences resolved, the statement verified."""

import io
import threading
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from openpyxl import Workbook

from clinic.errors import DomainError
from platforms.models import PlatformOrder
from reconciliation.models import MonthlyStatement, StatementEvent
from reconciliation.statements import (
    ImportRefused,
    generate_due_statements,
    generate_statement,
    import_platform_statement,
    open_differences,
    resolve_difference,
    undo_verification,
    verify_statement,
)
from tests.platform_factories import PlatformFactory, enrol, make_order, product_with, redeemed_order

BUCHAREST = ZoneInfo("Europe/Bucharest")
APRIL_3 = date(2030, 4, 3)


def redeemed(product, *, at: datetime, actor, number=None, price=None) -> PlatformOrder:
    return redeemed_order(product, at=at, actor=actor, number=number, price=price)


@pytest.fixture
def platform(tenant):
    platform = PlatformFactory(name="Insurer benefits")
    enrol(tenant, platform)
    return platform


@pytest.fixture
def product(platform):
    return product_with({"CHK-R": 1}, platform=platform)


def at(day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=BUCHAREST)


def test_in_april_only_marchs_statement_can_be_generated(platform, manager):
    for month in (date(2030, 2, 1), date(2030, 4, 1)):
        with pytest.raises(DomainError, match="March 2030"):
            generate_statement(platform, month, actor=manager, today=APRIL_3)
    statement, created = generate_statement(platform, date(2030, 3, 1), actor=manager, today=APRIL_3)
    assert created and statement.month == date(2030, 3, 1) and statement.status == "generated"


def test_the_statement_lists_the_months_redeemed_orders_at_what_the_ledger_says(product, manager):
    march = redeemed(product, at=at(date(2030, 3, 31), 23), actor=manager, number="M-1")  # 23:00 local
    redeemed(product, at=at(date(2030, 4, 1), 0), actor=manager, number="A-1")  # just after midnight: April
    redeemed(product, at=at(date(2030, 2, 28)), actor=manager, number="F-1")
    make_order(product, number="not-redeemed")
    statement, _created = generate_statement(product.platform, date(2030, 3, 1), actor=manager, today=APRIL_3)
    assert list(statement.lines.values_list("order_number", "amount", "patient")) == [
        ("M-1", Decimal("180.00"), march.patient.full_name)]


def test_generating_twice_or_by_the_task_makes_no_second_statement(platform, manager):
    first, created = generate_statement(platform, date(2030, 3, 1), actor=manager, today=APRIL_3)
    second, created_again = generate_statement(platform, date(2030, 3, 1), actor=manager, today=APRIL_3)
    assert created and not created_again and first.pk == second.pk
    assert generate_due_statements(today=APRIL_3) == []
    assert MonthlyStatement.objects.filter(platform=platform).count() == 1
    assert StatementEvent.objects.filter(statement=first, action="generated").count() == 1


def test_the_task_generates_what_is_due_for_every_enrolled_platform(platform, tenant):
    other = PlatformFactory()
    enrol(tenant, other)
    made = generate_due_statements(today=APRIL_3)
    assert {s.platform_id for s in made} >= {platform.pk, other.pk}
    assert generate_due_statements(today=APRIL_3) == []


def test_two_workers_at_once_make_one_statement(django_db_blocker, clinic_a):
    """Committed data, each worker on its own connection (the way the suite's races run)."""
    from django.db import connections
    from django_tenants.utils import schema_context, tenant_context

    with django_db_blocker.unblock(), schema_context("public"):
        platform = PlatformFactory(currency="EUR")
    results, errors = [], []
    barrier = threading.Barrier(2)

    def work():
        try:
            with django_db_blocker.unblock(), tenant_context(clinic_a):
                barrier.wait(timeout=30)
                results.append(generate_statement(platform, date(2030, 3, 1), today=APRIL_3)[1])
        except Exception as exc:  # noqa: BLE001 - shown by the assertion
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        count = MonthlyStatement.objects.filter(platform=platform).count()
        MonthlyStatement.objects.filter(platform=platform).delete()
    with django_db_blocker.unblock(), schema_context("public"), connection.cursor() as cursor:
        # Django's cascade would look for the clinics' orders in the public schema.
        cursor.execute("DELETE FROM platform_catalogue_platform WHERE id = %s", [platform.pk])
    connection.set_schema_to_public()
    assert errors == [] and sorted(results) == [False, True] and count == 1


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture
def march(product, manager):
    for number in ("M-1", "M-2", "M-3"):
        redeemed(product, at=at(date(2030, 3, 10)), actor=manager, number=number)
    redeemed(product, at=at(date(2030, 2, 10)), actor=manager, number="F-9")
    return generate_statement(product.platform, date(2030, 3, 1), actor=manager, today=APRIL_3)[0]


def test_the_platforms_statement_is_matched_and_differences_resolved_before_verifying(march, manager):
    content = xlsx([["微医保对账单"], ["渠道订单号", "结算金额", "核销时间"], ["M-1", "¥180.00", "2030-03-10"],
                    ["M-2", "¥170.00", "2030-03-10"], ["F-9", "180", "2030-03-02"], ["X-1", "50", "2030-03-09"],
                    ["合计", "", "", "580"]])
    with pytest.raises(ImportRefused) as refused:
        import_platform_statement(march, file_name="march.xlsx", content=content, actor=manager)
    assert [(p.line, p.looks_like_total) for p in refused.value.read.problems] == [(7, True)]
    assert not march.imports.exists()  # nothing saved

    upload = import_platform_statement(march, file_name="march.xlsx", content=content, actor=manager,
                                       skip_lines={7})
    assert {d.order_number: d.category for d in open_differences(march)} == {
        "M-2": "amount_differs", "M-3": "clinic_only", "F-9": "other_month", "X-1": "platform_only"}
    assert upload.summary["matched"] == {"count": 1, "clinic": "180.00", "platform": "180.00"}
    with pytest.raises(DomainError, match="4 differences"):
        verify_statement(march, actor=manager)
    for difference in open_differences(march):
        with pytest.raises(DomainError):
            resolve_difference(difference, resolution="disputed", note="", actor=manager)
        resolve_difference(difference, resolution="disputed", note="Asked the platform", actor=manager)
    verified = verify_statement(march, actor=manager)
    assert (verified.status, verified.verified_by) == ("verified", manager)
    with pytest.raises(DomainError):
        import_platform_statement(march, file_name="again.xlsx", content=content, actor=manager, skip_lines={7})
    with pytest.raises(DomainError):
        undo_verification(march, actor=manager, reason="  ")
    assert undo_verification(march, actor=manager, reason="Wrong file").status == "generated"
    assert list(march.events.values_list("action", flat=True)) == [
        "generated", "imported", *["resolved"] * 4, "verified", "unverified"]


def test_a_statement_cannot_be_verified_before_the_platforms_is_imported(march, manager):
    with pytest.raises(DomainError, match="Import the platform"):
        verify_statement(march, actor=manager)


def test_the_column_mapping_is_remembered_for_the_platforms_next_file(march, manager):
    content = xlsx([["No.", "Sum to pay"], ["M-1", "180"], ["M-2", "180"], ["M-3", "180"]])
    with pytest.raises(DomainError):
        import_platform_statement(march, file_name="m.xlsx", content=content, actor=manager)
    import_platform_statement(march, file_name="m.xlsx", content=content, actor=manager,
                              mapping={"order_number": "No.", "amount": "Sum to pay"})
    upload = import_platform_statement(march, file_name="m2.xlsx", content=content, actor=manager)
    assert upload.summary["matched"]["count"] == 3
    with transaction.atomic():
        assert not open_differences(march).exists()


def test_a_chinese_patient_is_named_family_name_first_on_the_statement(product, manager):
    order = redeemed(product, at=at(date(2030, 3, 12)), actor=manager, number="CN-1")
    type(order.patient).objects.filter(pk=order.patient_id).update(first_name="芳", last_name="王")
    statement, _created = generate_statement(product.platform, date(2030, 3, 1), actor=manager, today=APRIL_3)
    order.patient.refresh_from_db()
    assert order.patient.full_name == "王芳"
    assert statement.lines.get(order_number="CN-1").patient == "王芳"
