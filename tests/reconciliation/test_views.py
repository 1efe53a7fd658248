"""The reconciliation screens: the statements per platform, M-1's generation, a statement with the
platform's import (column mapping, rows that cannot be read, skipped totals), differences resolved
and the verification through the views; the exports read back with openpyxl."""

import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.http import QueryDict
from openpyxl import Workbook, load_workbook

from reconciliation.models import Difference, MonthlyStatement, PlatformStatement, ReportPreset
from reconciliation.statements import generate_statement
from tests.factories import ServiceFactory, make_staff
from tests.platform_factories import PlatformFactory, enrol, product_with, redeemed_order

BUCHAREST = ZoneInfo("Europe/Bucharest")
APRIL_3 = date(2030, 4, 3)
HTMX = {"HTTP_HX_REQUEST": "true"}


def at(day, hour=12):
    return datetime(day.year, day.month, day.day, hour, tzinfo=BUCHAREST)


def xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(content: bytes, name="march.xlsx"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.fixture
def platform(tenant):
    platform = PlatformFactory(name="Insurer benefits")
    enrol(tenant, platform)
    return platform


@pytest.fixture
def product(platform):
    return product_with({"CHK-V": 1}, platform=platform, name="Adult check-up")


@pytest.fixture
def voucher(platform):
    """A 200 voucher towards an extraction of 350: it pays its whole face value."""
    ServiceFactory(code="EXT-V", price=Decimal("350.00"))
    return product_with({"EXT-V": 1}, platform=platform, name="200 voucher", kind="cash_voucher")


@pytest.fixture
def march(product, manager):
    for number in ("M-1", "M-2", "M-3"):
        redeemed_order(product, at=at(date(2030, 3, 10)), actor=manager, number=number)
    return generate_statement(product.platform, date(2030, 3, 1), actor=manager, today=APRIL_3)[0]


PLATFORM_FILE = [["微医保 2030年3月 对账单"], ["渠道订单号", "结算金额", "核销时间"],
                 ["M-1", "¥180.00", "2030-03-10"], ["M-2", "¥170.00", "2030-03-10"], ["M-3", 180, 47552],
                 ["合计", "", "", "¥530.00"]]


def statement_urls(statement):
    base = f"/reconciliation/statements/{statement.pk}"
    return [("get", f"{base}/"), ("get", f"{base}/import/"), ("post", f"{base}/import/columns/"),
            ("post", f"{base}/verify/"), ("post", f"{base}/unverify/")]


# --- who may see what ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["manager", "finance"])
def test_managers_and_finance_see_the_pages(role, march, client_for):
    client = client_for(make_staff(role))
    for url in ("/reconciliation/", f"/reconciliation/statements/{march.pk}/", "/reconciliation/report/",
                f"/reconciliation/statements/{march.pk}/import/"):
        response = client.get(url)
        assert response.status_code == 200, url
    page = client.get("/reconciliation/").content.decode()
    assert "Insurer benefits" in page and "March 2030" in page and "540.00" in page


@pytest.mark.parametrize("role", ["front_desk", "doctor"])
def test_front_desk_and_doctors_are_refused(role, march, client_for):
    client = client_for(make_staff(role))
    difference_url = "/reconciliation/differences/1/resolve/"
    urls = [("get", "/reconciliation/"), ("post", "/reconciliation/generate/"),
            ("get", "/reconciliation/generate/status/"), ("get", "/reconciliation/report/"),
            ("post", "/reconciliation/report/presets/"), ("post", difference_url), *statement_urls(march)]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 403, url
    assert "/reconciliation/" not in client.get("/").content.decode()


def test_another_clinics_statement_is_a_404(march, client_for, clinic_b, in_clinic):
    with in_clinic(clinic_b):
        other = make_staff("manager")
    client = client_for(other, clinic_b)
    for method, url in statement_urls(march):
        assert getattr(client, method)(url).status_code == 404, url
    assert client.post(f"/reconciliation/differences/{10**6}/resolve/").status_code == 404


def test_the_top_bar_has_the_entry_for_managers(manager, client_for):
    assert 'href="/reconciliation/"' in client_for(manager).get("/").content.decode()


# --- the statements page and generation ------------------------------------------------------


def test_the_statements_page_offers_only_last_month_and_generates_it(product, manager, client_for,
                                                                    django_capture_on_commit_callbacks):
    with time_machine.travel(at(APRIL_3), tick=False):
        redeemed_order(product, at=at(date(2030, 3, 5)), actor=manager, number="M-9")
        client = client_for(manager)
        page = client.get("/reconciliation/").content.decode()
        assert "Generate March 2030" in page and "only the previous month" in page
        refused = client.post("/reconciliation/generate/", {"platform": product.platform_id, "month": "2030-02-01"},
                              **HTMX)
        assert refused.status_code == 422 and "Only the statement of March 2030" in refused.content.decode()
        assert not MonthlyStatement.objects.exists()
        with django_capture_on_commit_callbacks(execute=True):
            started = client.post("/reconciliation/generate/",
                                  {"platform": product.platform_id, "month": "2030-03-01"}, **HTMX)
        assert started.status_code == 200
        statement = MonthlyStatement.objects.get()
        assert statement.month == date(2030, 3, 1) and statement.generated_by == manager
        status = client.get(f"/reconciliation/generate/status/?platform={product.platform_id}&month=2030-03-01",
                            **HTMX).content.decode()
        assert "is ready" in status and f"/reconciliation/statements/{statement.pk}/" in status
        assert "Generate March 2030" not in client.get("/reconciliation/").content.decode()


def test_the_progress_polls_while_the_statement_is_not_there(product, manager, client_for):
    response = client_for(manager).get(f"/reconciliation/generate/status/?platform={product.platform_id}"
                                       f"&month=2030-03-01", **HTMX)
    assert 'hx-trigger="load delay:700ms"' in response.content.decode() and "n=1" in response.content.decode()
    client = client_for(manager)
    later = client.get(f"/reconciliation/generate/status/?platform={product.platform_id}&month=2030-03-01&n=180",
                       **HTMX).content.decode()
    assert "not ready yet" in later and "hx-get" not in later
    assert client.get("/reconciliation/generate/status/?platform=abc&month=2030-03-01").status_code == 404


def test_the_statements_page_makes_the_same_queries_for_more_statements(platform, manager, client_for,
                                                                         django_assert_max_num_queries, tenant):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager)
    client.get("/")
    MonthlyStatement.objects.create(platform=platform, month=date(2029, 12, 1), currency="EUR",
                                    generated_at=at(date(2030, 1, 1)), generated_by=manager)
    with CaptureQueriesContext(connection) as one:
        client.get("/reconciliation/")
    second = PlatformFactory(name="Alipay")
    enrol(tenant, second)
    for month in (date(2030, 1, 1), date(2030, 2, 1), date(2030, 3, 1)):
        for owner in (platform, second):
            MonthlyStatement.objects.create(platform=owner, month=month, currency="EUR",
                                            generated_at=at(month), generated_by=manager)
    with django_assert_max_num_queries(len(one)):
        response = client.get("/reconciliation/")
    assert response.content.decode().count("<td>January 2030</td>") == 2


# --- a statement's page, the import and the mapping step ---------------------------------------


def test_the_statement_page_shows_lines_totals_and_the_warning(march, product, manager, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reconciliation.models import StatementLine
    from tests.platform_factories import make_order

    client = client_for(manager)
    client.get("/")
    with CaptureQueriesContext(connection) as few:
        page = client.get(f"/reconciliation/statements/{march.pk}/").content.decode()
    assert "Verifying alone settles nothing: start a settlement." in page
    assert "M-1" in page and "M-3" in page and "540.00" in page and "To check" in page
    StatementLine.objects.bulk_create(
        StatementLine(statement=march, order=make_order(product), order_number=f"X-{n}", product="P", kind="package",
                      redeemed_at=at(date(2030, 3, 20)), patient="Someone", amount=Decimal("1.00"))
        for n in range(60))
    with CaptureQueriesContext(connection) as many:
        page = client.get(f"/reconciliation/statements/{march.pk}/?page=2").content.decode()
    assert len(many) == len(few) and "Page 2 of 2" in page and "600.00" in page


def test_a_bad_file_shows_its_rows_and_saves_nothing(march, manager, client_for):
    content = xlsx([["渠道订单号", "结算金额"], ["M-1", "¥180.00"], ["M-2", "lots"], ["", "12"]])
    response = client_for(manager).post(f"/reconciliation/statements/{march.pk}/import/",
                                        {"file": upload(content)})
    assert response.status_code == 422
    page = response.content.decode()
    assert "2 rows could not be read; nothing was saved." in page
    assert "“lots” is not an amount." in page and "The order number is empty." in page
    assert ">3</td>" in page and ">4</td>" in page  # their lines
    assert not PlatformStatement.objects.exists() and not Difference.objects.exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused(march, manager, client_for):
    response = client_for(manager).post(f"/reconciliation/statements/{march.pk}/import/",
                                        {"file": upload(b"%PDF-1.4 not a sheet", "x.xlsx")})
    assert response.status_code == 200 and "is not an .xlsx or .csv file" in response.content.decode()
    assert not PlatformStatement.objects.exists()


def test_the_totals_row_is_skipped_in_the_mapping_step_and_the_file_kept(march, manager, client_for):
    client = client_for(manager)
    response = client.post(f"/reconciliation/statements/{march.pk}/import/", {"file": upload(xlsx(PLATFORM_FILE))})
    page = response.content.decode()
    assert response.status_code == 422 and "This looks like a totals row" in page
    assert 'value="结算金额" selected' in page and 'value="渠道订单号" selected' in page
    token = response.context["token"]
    done = client.post(f"/reconciliation/statements/{march.pk}/import/columns/",
                       {"token": token, "file_name": "march.xlsx", "map-order_number": "渠道订单号",
                        "map-amount": "结算金额", "map-redeemed_on": "核销时间", "skip": ["6"]})
    assert done.status_code == 302
    imported = PlatformStatement.objects.get()
    assert imported.skipped == [6] and imported.rows.count() == 3
    assert {d.order_number: (d.category, d.clinic_amount, d.platform_amount) for d in Difference.objects.all()} == {
        "M-2": ("amount_differs", Decimal("180.00"), Decimal("170.00"))}
    # The kept file is gone once imported: the same token cannot import twice.
    again = client.post(f"/reconciliation/statements/{march.pk}/import/columns/", {"token": token})
    assert again.status_code == 302 and PlatformStatement.objects.count() == 1
    page = client.get(f"/reconciliation/statements/{march.pk}/").content.decode()
    assert "Amount differs" in page and "Matched" in page and "1 difference is not resolved yet." in page


def test_the_user_corrects_the_columns_and_the_choice_is_remembered(march, manager, client_for):
    client = client_for(manager)
    content = xlsx([["No.", "Sum to pay", "Paid"], ["M-1", "999", "180"], ["M-2", "999", "180"],
                    ["M-3", "999", "180"]])
    first = client.post(f"/reconciliation/statements/{march.pk}/import/", {"file": upload(content)})
    assert first.status_code == 422 and "No header with an order number and an amount" in first.content.decode()
    token = first.context["token"]
    client.post(f"/reconciliation/statements/{march.pk}/import/columns/",
                {"token": token, "file_name": "m.xlsx", "map-order_number": "No.", "map-amount": "Paid"})
    assert PlatformStatement.objects.get().summary["matched"]["count"] == 3
    # Asked to check the columns: the remembered mapping is offered.
    check = client.post(f"/reconciliation/statements/{march.pk}/import/",
                        {"file": upload(content), "check_columns": "on"}).content.decode()
    assert 'value="Paid" selected' in check and 'value="No." selected' in check


def test_someone_elses_kept_file_cannot_be_imported(march, manager, finance, client_for):
    response = client_for(manager).post(f"/reconciliation/statements/{march.pk}/import/",
                                        {"file": upload(xlsx(PLATFORM_FILE))})
    token = response.context["token"]
    stolen = client_for(finance).post(f"/reconciliation/statements/{march.pk}/import/columns/",
                                      {"token": token, "skip": ["6"]})
    assert stolen.status_code == 302 and not PlatformStatement.objects.exists()
    assert client_for(finance).post(f"/reconciliation/statements/{march.pk}/import/columns/",
                                    {"token": "../../etc/passwd"}).status_code == 302


# --- resolving and verifying --------------------------------------------------------------------


@pytest.fixture
def imported(march, manager, client_for):
    client = client_for(manager)
    response = client.post(f"/reconciliation/statements/{march.pk}/import/", {"file": upload(xlsx(PLATFORM_FILE))})
    client.post(f"/reconciliation/statements/{march.pk}/import/columns/",
                {"token": response.context["token"], "skip": ["6"]})
    return march


def test_differences_are_filtered_resolved_in_place_and_then_verified(imported, finance, client_for):
    client = client_for(finance)
    base = f"/reconciliation/statements/{imported.pk}/"
    refused = client.post(f"{base}verify/", follow=True).content.decode()
    assert "1 difference is not resolved yet." in refused
    assert MonthlyStatement.objects.get().status == "generated"
    only = client.get(f"{base}?part=differences&category=clinic_only", **HTMX).content.decode()
    assert "No differences." in only and "<html" not in only
    listed = client.get(f"{base}?part=differences&category=amount_differs", **HTMX).content.decode()
    assert "M-2" in listed and 'value="platform"' in listed  # the fragment can resolve too
    difference = Difference.objects.get()
    url = f"/reconciliation/differences/{difference.pk}/resolve/"
    no_note = client.post(url, {"resolution": "disputed", "note": ""}, **HTMX)
    assert no_note.status_code == 422 and "Say what is disputed." in no_note.content.decode()
    row = client.post(url, {"resolution": "platform", "note": "They gave a discount"}, **HTMX)
    assert row.status_code == 200 and "Accept the platform&#x27;s amount" in row.content.decode()
    assert 'id="open-count" hx-swap-oob="true"' in row.content.decode()
    assert "Every difference is resolved." in row.content.decode()
    difference.refresh_from_db()
    assert (difference.resolution, difference.resolved_by) == ("platform", finance)
    done = client.post(f"{base}verify/", follow=True).content.decode()
    assert "The statement is verified." in done
    statement = MonthlyStatement.objects.get()
    assert (statement.status, statement.verified_by) == ("verified", finance)
    empty = client.post(f"{base}unverify/", {"reason": " "}, follow=True).content.decode()
    assert "Give the reason" in empty and MonthlyStatement.objects.get().status == "verified"
    client.post(f"{base}unverify/", {"reason": "The platform sent a corrected file"})
    assert MonthlyStatement.objects.get().status == "generated"
    history = client.get(base).content.decode()
    assert "Verification undone" in history and "The platform sent a corrected file" in history


# --- exports --------------------------------------------------------------------------------------


@pytest.fixture
def export_rows(django_capture_on_commit_callbacks):
    from clinic.exports.models import Export
    from clinic.exports.services import start_export

    made = []

    def build(kind, actor, data):
        with django_capture_on_commit_callbacks(execute=True):
            export = start_export(kind, actor=actor, data=QueryDict(data))
        export = Export.objects.get(pk=export.pk)
        made.append(export)
        assert export.status == Export.Status.DONE, export.error
        with export.file.open("rb") as handle:
            content = handle.read()
        if export.file_name.endswith(".csv"):
            return [line for line in content.decode("utf-8-sig").splitlines()]
        workbook = load_workbook(io.BytesIO(content), read_only=True)
        rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
        workbook.close()
        width = max(len(row) for row in rows)
        return [row + [None] * (width - len(row)) for row in rows]  # trailing empty cells are not stored

    yield build
    for export in made:
        export.file.delete(save=False)


def test_the_statement_exports_put_vouchers_under_the_principal(product, voucher, manager, export_rows):
    redeemed_order(product, at=at(date(2030, 3, 10)), actor=manager, number="P-1")
    redeemed_order(voucher, at=at(date(2030, 3, 11)), actor=manager, number="V-1")
    statement = generate_statement(product.platform, date(2030, 3, 1), actor=manager, today=APRIL_3)[0]
    rows = export_rows("monthly_statement", manager, f"statement={statement.pk}")
    assert rows[0] == ["Platform order number", "Product", "Redeemed at", "Patient", "Settlement price",
                       "Cash-voucher principal"]
    assert [(r[0], r[1], r[4], r[5]) for r in rows[1:]] == [
        ("P-1", "Adult check-up", 180, None), ("V-1", "200 voucher", None, 200), ("Total", None, 180, 200)]
    assert rows[1][2] == datetime(2030, 3, 10, 12, 0)  # the clinic's local time
    csv_lines = export_rows("monthly_statement_csv", manager, f"statement={statement.pk}")
    assert csv_lines[0].startswith("Platform order number,Product") and csv_lines[1].startswith("P-1,Adult check-up")


def test_the_differences_export(imported, manager, export_rows):
    rows = export_rows("statement_differences", manager, f"statement={imported.pk}")
    assert rows[0][:4] == ["Category", "Platform order number", "Clinic's amount", "Platform's amount"]
    assert rows[1][:5] == ["Amount differs", "M-2", 180, 170, "4"]


def test_an_export_of_a_missing_statement_is_refused(manager, client_for, tenant):
    response = client_for(manager).post("/exports/monthly_statement/start/", {"statement": "999999"}, **HTMX)
    assert response.status_code == 422 and "No such statement." in response.content.decode()


def test_the_channel_report_has_the_picked_columns_in_order_from_the_ledger(product, voucher, manager, tenant,
                                                                           export_rows, client_for):
    other = PlatformFactory(name="Alipay", code="alipay")
    enrol(tenant, other)
    alipay = product_with({"CHK-V": 1}, platform=other, name="Alipay check-up")
    redeemed_order(product, at=at(date(2030, 3, 10)), actor=manager, number="P-1", price=Decimal("150.00"))
    redeemed_order(voucher, at=at(date(2030, 3, 11)), actor=manager, number="V-1")
    redeemed_order(alipay, at=at(date(2030, 3, 12)), actor=manager, number="A-1")
    redeemed_order(alipay, at=at(date(2030, 4, 1)), actor=manager, number="A-2")  # outside the period
    price_insurer, price_alipay = f"price:{product.platform.code}", "price:alipay"
    data = (f"first=2030-03-01&last=2030-03-31&col=amount&col=order_number&col={price_insurer}&col={price_alipay}"
            f"&col=cash_voucher&col=payment_method&pos-order_number=1&pos-amount=2")
    rows = export_rows("channel_report", manager, data)
    assert rows[0] == ["Platform order number", "Amount", "Insurer benefits purchase price", "Alipay purchase price",
                       "Cash-voucher principal", "Payment method"]
    # The ledger's amounts (the line was charged at 150, not the product's 180).
    assert rows[1:] == [["P-1", 150, 150, None, None, "Insurer benefits"],
                        ["V-1", 200, None, None, 200, "Cash-voucher principal"],
                        ["A-1", 180, None, 180, None, "Alipay"],
                        ["Total", 530, 150, 180, 200, None]]
    page = client_for(manager).get(f"/reconciliation/report/?{data}").content.decode()
    assert page.index("Platform order number</th>") < page.index("Amount</th>")
    assert "P-1" in page and "A-2" not in page and "530.00" in page


def test_presets_keep_the_columns_per_clinic(product, manager, client_for, django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(manager)
    client.get("/")
    response = client.post("/reconciliation/report/presets/", {"name": "Finance", "col": ["product", "patient"],
                                                               "pos-patient": "1", "pos-product": "2"})
    preset = ReportPreset.objects.get()
    assert response.status_code == 302 and preset.columns == ["patient", "product"] and preset.created_by == manager
    assert client.post("/reconciliation/report/presets/", {"name": "Bad", "col": ["password"]}).status_code == 302
    assert ReportPreset.objects.count() == 1
    for number in range(3):
        redeemed_order(product, at=at(date(2030, 3, 10 + number)), actor=manager, number=f"Q-{number}")
    url = f"/reconciliation/report/?preset={preset.pk}&first=2030-03-01&last=2030-03-31"
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for number in range(3, 8):
        redeemed_order(product, at=at(date(2030, 3, 10 + number)), actor=manager, number=f"Q-{number}")
    with django_assert_max_num_queries(len(one)):
        page = client.get(url)
    text = page.content.decode()
    assert "Q-0" not in text  # the order number is not a column of the preset
    assert text.index("Patient</th>") < text.index("Product</th>")
    assert "<th scope=\"col\">Amount</th>" not in text
    assert f"/reconciliation/report/presets/{preset.pk}/delete/" in text
    assert client_for(make_staff("front_desk")).post(f"/reconciliation/report/presets/{preset.pk}/delete/").status_code == 403
    client.post(f"/reconciliation/report/presets/{preset.pk}/delete/")
    assert not ReportPreset.objects.exists()


def test_a_column_moved_to_a_taken_position_goes_before_the_one_there():
    from reconciliation.reports import columns_from

    available = {"patient": "Patient", "order_number": "No.", "amount": "Amount"}
    data = QueryDict("col=patient&col=order_number&col=amount&pos-patient=1&was-patient=1&pos-order_number=2"
                     "&was-order_number=2&pos-amount=1&was-amount=3")
    assert columns_from(data, available) == ["amount", "patient", "order_number"]
    assert columns_from(QueryDict("col=amount&col=patient"), available) == ["amount", "patient"]


def test_a_verified_statement_refuses_an_import_and_keeps_no_file(imported, manager, client_for):
    from django.core.files.storage import default_storage

    from reconciliation.models import Difference as DifferenceModel
    from reconciliation.pending_files import FOLDER

    for difference in DifferenceModel.objects.all():
        difference.resolution = "clinic"
        difference.save()
    client = client_for(manager)
    client.post(f"/reconciliation/statements/{imported.pk}/verify/")
    before = set(default_storage.listdir(FOLDER)[1]) if default_storage.exists(FOLDER) else set()
    page = client.post(f"/reconciliation/statements/{imported.pk}/import/", {"file": upload(xlsx(PLATFORM_FILE))},
                       follow=True).content.decode()
    assert "This statement is verified: undo the verification before importing again." in page
    assert PlatformStatement.objects.count() == 1
    assert set(default_storage.listdir(FOLDER)[1]) == before


def test_the_match_result_is_charted_with_the_same_figures_as_its_table(imported, manager, client_for):
    import json
    import re

    page = client_for(manager).get(f"/reconciliation/statements/{imported.pk}/").content.decode()
    data = json.loads(re.search(r'<script id="category-chart-data" type="application/json">(.*?)</script>', page,
                                re.S).group(1))
    table = re.search(r'<table class="table table-sm w-auto" id="category-totals">(.*?)</table>', page, re.S).group(1)
    rows = re.findall(r'<tr data-category="[a-z_]+"><td>(.*?)</td><td class="num">(\d+)</td>', table)
    assert data["labels"] == [label for label, _count in rows] and data["labels"]
    assert data["series"][0]["count"] == [int(count) for _label, count in rows]
    assert 'data-chart="category-chart-data"' in page and 'role="img"' in page
