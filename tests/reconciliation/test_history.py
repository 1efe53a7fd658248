"""A statement's and a settlement batch's history read in the reader's language: what an event was
about is kept as data and written out when read (the language's words, plurals and numbers, the
amount in its currency), never stored in the words of whoever acted; the history written before
is read back into data by the migration."""

from datetime import date, datetime
from importlib import import_module
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from reconciliation.models import BatchEvent, StatementEvent
from reconciliation.settlement import BankDetails, start_settlement
from reconciliation.statements import (
    generate_statement,
    import_platform_statement,
    open_differences,
    resolve_difference,
    verify_statement,
)
from tests.platform_factories import PlatformFactory, enrol, product_with
from tests.reconciliation.test_monthly_statements import redeemed, xlsx

BUCHAREST = ZoneInfo("Europe/Bucharest")
APRIL_3 = date(2030, 4, 3)
BANK = BankDetails("Alpha Clinic SRL", "Banca Transilvania", "RO49AAAA1B31007593840000")


@pytest.fixture
def resolved(tenant, manager):
    """March 2030's statement of a platform: two orders of 180.00, the platform's file says 170.00 for
    the second; that difference accepted at the platform's amount, the statement verified."""
    platform = PlatformFactory(name="Insurer benefits")
    enrol(tenant, platform)
    product = product_with({"CHK-H": 1}, platform=platform)
    for number in ("H-1", "H-2"):
        redeemed(product, at=datetime(2030, 3, 10, 12, tzinfo=BUCHAREST), actor=manager, number=number)
    statement = generate_statement(platform, date(2030, 3, 1), actor=manager, today=APRIL_3)[0]
    import_platform_statement(statement, file_name="march.xlsx", actor=manager,
                              content=xlsx([["订单号", "结算金额"], ["H-1", "180"], ["H-2", "170"]]))
    (difference,) = open_differences(statement)
    resolve_difference(difference, resolution="platform", note="Agreed by phone", actor=manager)
    return verify_statement(statement, actor=manager)


def texts(statement) -> dict:
    return {event.action: event.text for event in statement.events.all()}


def test_the_statements_history_is_written_in_the_readers_language(resolved):
    imported, resolution = (StatementEvent.objects.get(statement=resolved, action=action)
                            for action in ("imported", "resolved"))
    assert imported.details == {"file": "march.xlsx", "rows": 2, "differences": 1} and imported.note == ""
    assert resolution.details == {"order": "H-2", "resolution": "platform"} and resolution.note == "Agreed by phone"
    with translation.override("en"):
        assert texts(resolved) == {"generated": "", "imported": "march.xlsx: 2 rows, 1 difference",
                                   "resolved": "H-2: Accept the platform's amount · Agreed by phone", "verified": ""}
        assert resolution.label == "Difference resolved"
    with translation.override("ru"):
        assert texts(resolved)["imported"] == "march.xlsx: 2 строки, 1 расхождение"
        assert texts(resolved)["resolved"] == "H-2: Принять сумму платформы · Agreed by phone"  # the note: the person's words
        assert resolution.label == "Расхождение решено"
    with translation.override("zh-hans"):
        assert "rows" not in texts(resolved)["imported"] and "2" in texts(resolved)["imported"]


def test_a_settlement_request_names_its_method_and_amount_in_the_readers_language(resolved, manager):
    batch = start_settlement(resolved.platform, method="cash", invoice_type="ordinary", bank=BANK, actor=manager,
                             today=APRIL_3)
    event = BatchEvent.objects.get(batch=batch, action="requested")
    assert event.details == {"method": "cash", "amount": "360.00", "currency": resolved.platform.currency,
                             "statements": 1} and event.note == ""
    currency = resolved.platform.currency
    with translation.override("en"):
        assert event.text == f"Cash (bank transfer against an invoice) · 360.00 {currency} · 1 statement"
    with translation.override("ru"):
        assert event.text == f"Деньгами (перевод по счёту) · 360,00 {currency} · 1 ведомость"


def test_the_statement_page_shows_the_history_in_the_readers_language(resolved, client_for, manager):
    client = client_for(manager)
    client.cookies["django_language"] = "ru"
    page = client.get(reverse("reconciliation:statement_detail", args=[resolved.pk])).content.decode()
    assert "march.xlsx: 2 строки, 1 расхождение" in page
    assert "H-2: Принять сумму платформы · Agreed by phone" in page


def test_the_history_written_before_is_read_back_into_details(resolved, manager):
    """The notes the history used to write — English words and plain numbers, the resolution in the
    language of whoever resolved — become details; a note that reads as none of them stays."""
    migration = import_module("reconciliation.migrations.0005_event_details")
    old = [
        StatementEvent.objects.create(statement=resolved, action="imported", created=resolved.generated_at,
                                      note="april: 1,2.xlsx: 1234 rows, 7 differences"),
        StatementEvent.objects.create(statement=resolved, action="resolved", created=resolved.generated_at,
                                      note="H-9: Принять сумму клиники asked twice"),
        StatementEvent.objects.create(statement=resolved, action="resolved", created=resolved.generated_at,
                                      note="H-8: Disputed "),
        StatementEvent.objects.create(statement=resolved, action="resolved", created=resolved.generated_at,
                                      note="something else"),
    ]
    migration.notes_to_details(apps, None)
    for event in old:
        event.refresh_from_db()
    assert [(event.details, event.note) for event in old] == [
        ({"file": "april: 1,2.xlsx", "rows": 1234, "differences": 7}, ""),
        ({"order": "H-9", "resolution": "clinic"}, "asked twice"),
        ({"order": "H-8", "resolution": "disputed"}, ""),
        ({}, "something else"),
    ]
    with translation.override("ro"):
        assert old[0].text.startswith("april: 1,2.xlsx: 1.234 ")  # Romanian groups thousands with a dot

    migration.details_to_notes(apps, None)
    for event in old:
        event.refresh_from_db()
    assert old[0].note == "april: 1,2.xlsx: 1234 rows, 7 differences"
    assert old[2].note == "H-8: Disputed "


def test_an_old_settlement_request_note_is_read_back_into_details(resolved, manager):
    migration = import_module("reconciliation.migrations.0005_event_details")
    batch = start_settlement(resolved.platform, method="voucher", actor=manager, today=APRIL_3)
    event = BatchEvent.objects.create(batch=batch, action="requested", created=batch.requested_at,
                                      note="voucher 1234.50 EUR (2 statements)")
    migration.notes_to_details(apps, None)
    event.refresh_from_db()
    assert (event.details, event.note) == (
        {"method": "voucher", "amount": "1234.50", "currency": "EUR", "statements": 2}, "")
