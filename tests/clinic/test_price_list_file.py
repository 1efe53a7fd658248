"""Price-list import (every bad row reported, nothing saved) and export."""

import io
from decimal import Decimal

import pytest
from openpyxl import Workbook, load_workbook

from clinic.models import Service
from clinic.pricelist import PriceListRejected, import_price_list, parse_price_list
from tests.factories import ServiceFactory

pytestmark = pytest.mark.django_db

HEADER = "code,name,category,duration_minutes,price,vat_rate,active\n"


def csv_bytes(*rows, header=HEADER):
    return (header + "\n".join(rows) + "\n").encode()


def xlsx_bytes(rows):
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_every_bad_row_is_reported_with_line_column_and_reason(tenant):
    content = csv_bytes(
        "A-1,Good,Cat,30,100.00,0,yes",
        "A-2,,Cat,30,100.00,0,yes",  # no name
        "A-3,Bad duration,Cat,-5,100,0,yes",
        "A-4,Bad price,Cat,30,abc,0,yes",
        "a-1,Duplicate,Cat,30,10,0,yes",
        "A-6,Bad vat,Cat,30,10,150,maybe",
        "A-7,Too precise,Cat,30,10.005,0,no",
    )
    with pytest.raises(PriceListRejected) as rejected:
        parse_price_list("prices.csv", content, "EUR")
    found = {(e.line, e.column) for e in rejected.value.errors}
    assert found == {
        (3, "Name"),
        (4, "Duration (minutes)"),
        (5, "Price"),
        (6, "Code"),
        (7, "VAT rate (%)"),
        (7, "Active"),
        (8, "Price"),
    }
    duplicate = next(e for e in rejected.value.errors if e.line == 6)
    assert "line 2" in duplicate.reason


def test_nothing_is_saved_when_any_row_is_bad(tenant, client_for, manager):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ServiceFactory(code="KEEP-1", price=Decimal("5.00"))
    content = csv_bytes("KEEP-1,Changed,Cat,30,999,0,yes", "NEW-1,New,Cat,30,10,0,yes", "NEW-2,Bad,Cat,x,10,0,yes")
    response = client_for(manager).post("/services/import/", {"file": SimpleUploadedFile("p.csv", content)})
    assert response.status_code == 200
    assert b"Nothing was saved" in response.content and b"Duration (minutes)" in response.content
    assert Service.objects.get(code="KEEP-1").price == Decimal("5.00")
    assert not Service.objects.filter(code="NEW-1").exists()


def test_a_good_file_creates_and_updates_by_code(tenant, manager):
    ServiceFactory(code="UPD-1", price=Decimal("5.00"))
    ServiceFactory(code="SAME-1", name="Same", price=Decimal("7.00"), duration_minutes=30)
    same = Service.objects.get(code="SAME-1")
    content = csv_bytes(
        "upd-1,Updated,Cat A,45,\"1 234,50\",9,yes",
        f"SAME-1,Same,{same.category.name},30,7.00,0,yes",
        "NEW-9,Brand new,Cat B,20,80,0,no",
    )
    result = import_price_list("p.csv", content, actor=manager)
    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    updated = Service.objects.get(code="UPD-1")
    assert (updated.name, updated.price, updated.duration_minutes, updated.vat_rate) == (
        "Updated", Decimal("1234.50"), 45, Decimal("9")
    )
    assert Service.objects.get(code="NEW-9").is_active is False


def test_missing_columns_and_wrong_file_types_are_refused(tenant):
    with pytest.raises(PriceListRejected) as rejected:
        parse_price_list("p.csv", b"code;name\nA;B\n", "EUR")
    assert {e.column for e in rejected.value.errors} == {"Category", "Duration (minutes)", "Price"}
    with pytest.raises(PriceListRejected):
        parse_price_list("p.pdf", b"%PDF", "EUR")
    with pytest.raises(PriceListRejected):
        parse_price_list("p.xlsx", b"not a zip", "EUR")


def test_xlsx_with_the_headers_of_another_language_imports(tenant):
    from django.utils import translation

    from clinic.pricelist import COLUMNS

    with translation.override("ru"):
        header = [str(label) for _key, label in COLUMNS[:5]]
    assert header[0] != "Code"
    rows = parse_price_list("p.xlsx", xlsx_bytes([header, ["RU-1", "Приём", "Терапия", 30, 500]]), "EUR")
    assert rows[0]["code"] == "RU-1" and rows[0]["price"] == Decimal("500")


def test_export_then_import_changes_nothing(tenant, client_for, manager, django_capture_on_commit_callbacks):
    ServiceFactory.create_batch(3)
    client = client_for(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/exports/price_list/start/")
    export_url = response["Location"]
    status = client.get(export_url)
    assert b"Download" in status.content
    download = client.get(export_url + "download/")
    content = b"".join(download.streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:5] == ("Code", "Name", "Category", "Duration (minutes)", "Price")
    assert len(rows) == Service.objects.count() + 1
    result = import_price_list("back.xlsx", content, actor=manager)
    assert result.unchanged == Service.objects.count() and result.created == result.updated == 0


def test_someone_elses_export_is_a_404(tenant, client_for, manager, finance, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post("/exports/price_list/start/")
    export_url = response["Location"]
    assert client_for(finance).get(export_url).status_code == 404
    assert client_for(finance).get(export_url + "download/").status_code == 404


def test_export_progress_is_an_htmx_fragment(tenant, client_for, manager, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post("/exports/price_list/start/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and b"<html" not in response.content


def test_a_huge_price_is_a_row_error_not_a_crash(tenant):
    with pytest.raises(PriceListRejected) as rejected:
        parse_price_list("p.csv", csv_bytes("BIG-1,Big,Cat,30,1e30,0,yes"), "EUR")
    assert [(e.line, e.column) for e in rejected.value.errors] == [(2, "Price")]


def test_names_that_look_like_formulas_are_exported_as_text(tenant, client_for, manager, django_capture_on_commit_callbacks):
    ServiceFactory(code="F-1", name='=HYPERLINK("http://evil.example")')
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(manager).post("/exports/price_list/start/")
    content = b"".join(client_for(manager).get(response["Location"] + "download/").streaming_content)
    sheet = load_workbook(io.BytesIO(content)).active
    cell = next(row[1] for row in sheet.iter_rows() if row[0].value == "F-1")
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")
