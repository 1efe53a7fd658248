"""Every registered exporter writes its file through the one writer, whose one escape keeps a
cell that starts like a formula (=, +, -, @, tab, carriage return) text that no spreadsheet runs."""

import csv
import io

import pytest
from openpyxl import load_workbook

from clinic.exports.registry import EXPORTERS
from clinic.exports.writer import FORMULA_STARTS, write_csv, write_xlsx

EVIL = ['=HYPERLINK("http://evil.example","x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
        "\t=1+1", "\r=1+1"]
SAFE = ["Ana", "a-b", 12]
# Some XML readers read a carriage return in a cell's text as a line feed (lxml keeps it):
# compared with line ends made alike.
READ_BACK = [value.replace("\r", "\n") for value in EVIL]


def _alike(values):
    return [value.replace("\r", "\n") if isinstance(value, str) else value for value in values]


def _written(exporter, monkeypatch, params=None):
    """The exporter's file, its rows replaced by formula-like text (the build is the exporter's own)."""
    monkeypatch.setattr(exporter, "rows", lambda params: iter([EVIL + SAFE, SAFE]))
    monkeypatch.setattr(exporter, "count", lambda params: 2)
    handle = io.BytesIO()
    exporter.build(params or {}, handle, lambda percent: None)
    handle.seek(0)
    return handle


def test_the_apps_register_their_exporters():
    assert {"price_list", "cash_report", "revenue_report", "unapplied_deposits", "barter_report", "statement_pdf",
            "statement_xlsx", "partner_statistics"} <= set(EXPORTERS)
    assert all(kind == exporter.identifier for kind, exporter in EXPORTERS.items())


@pytest.mark.parametrize("kind", sorted(EXPORTERS))
def test_every_spreadsheet_exporter_escapes_formulas(kind, monkeypatch):
    exporter = EXPORTERS[kind]
    if exporter.extension not in ("xlsx", "csv"):
        pytest.skip(f"{kind} is a {exporter.extension} document, not a spreadsheet")
    handle = _written(exporter, monkeypatch)
    if exporter.extension == "xlsx":
        sheet = load_workbook(handle).worksheets[0]
        first = next(sheet.iter_rows())
        assert [cell.data_type for cell in first[:len(EVIL)]] == ["s"] * len(EVIL)
        assert _alike([cell.value for cell in first[:len(EVIL)]]) == READ_BACK
        assert [cell.value for cell in first[len(EVIL):]] == SAFE and first[len(EVIL) + 2].data_type == "n"
    else:
        first = next(csv.reader(io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")))
        assert first[:len(EVIL)] == ["'" + value for value in EVIL]


def test_the_escape_covers_every_dangerous_start_in_both_formats():
    assert FORMULA_STARTS == ("=", "+", "-", "@", "\t", "\r")
    rows = [EVIL, ["plain", "", 3]]
    xlsx = io.BytesIO()
    write_xlsx(rows, xlsx, title="A/very:long[title]that*is?cut")
    xlsx.seek(0)
    workbook = load_workbook(xlsx)
    cells = next(workbook.worksheets[0].iter_rows())
    assert all(cell.data_type == "s" for cell in cells) and _alike([cell.value for cell in cells]) == READ_BACK
    assert workbook.worksheets[0].title == "Averylongtitlethatiscut"
    text = io.BytesIO()
    write_csv(rows, text)
    lines = list(csv.reader(io.StringIO(text.getvalue().decode("utf-8-sig"), newline="")))
    assert lines == [["'" + value for value in EVIL], ["plain", "", "3"]]
