"""Every registered exporter writes its file through the one writer, whose one escape keeps a
cell that starts like a formula (=, +, -, @, tab, carriage return) text that no spreadsheet runs."""

import csv
import io
from datetime import UTC

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


def test_the_streamed_sheet_reads_back_as_openpyxl_writes_it():
    """The rows written as text read back cell for cell as openpyxl's own write-only sheet of the
    same values (types, numbers, dates with their styles), except that no text is ever a formula."""
    from datetime import date, datetime
    from decimal import Decimal

    from openpyxl import Workbook

    values = [["Ana", " padded ", "a<b & c>\"'", "bell\x07", "ünïcødé 核销 شماره", None, "", True, False],
              [Decimal("1234.50"), Decimal("-0.01"), 7, -3, 2.5, 1e-7, datetime(2026, 3, 1, 9, 30, 15),
               date(2026, 3, 2), datetime(2026, 3, 1, 9, 30, tzinfo=UTC)],
              (value for value in ["a generator row", 1]),
              [Decimal("NaN"), float("inf"), object.__new__(Marker)]]
    ours = io.BytesIO()
    write_xlsx([list(row) if not isinstance(row, list) else row for row in values], ours, title="Sheet")
    theirs = io.BytesIO()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet")
    for row in values[:2]:  # as the writer always took them: no zone, no control character, "" empty
        sheet.append([value.replace(tzinfo=None) if isinstance(value, datetime) else
                      (value.replace("\x07", "") or None if isinstance(value, str) else value) for value in row])
    sheet.append(["a generator row", 1])
    sheet.append(["NaN", "inf", "marker"])
    workbook.save(theirs)

    def cells(handle):
        handle.seek(0)
        sheet = load_workbook(handle).worksheets[0]
        return [[(cell.value, cell.data_type, cell.number_format) for cell in row] for row in sheet.iter_rows()]

    assert cells(ours) == cells(theirs)


class Marker:
    def __str__(self):
        return "marker"


def test_a_large_sheet_streams_in_constant_memory_and_quickly(tmp_path):
    """100,000 rows of the partner statistics' shape: the sheet is written to a temporary file as
    it comes (memory does not grow with the rows) and reads back whole."""
    import time
    import tracemalloc
    from datetime import datetime
    from decimal import Decimal

    def rows(count):
        yield ["Reference", "Booked at", "Patient", "Value"]
        for n in range(count):
            yield [f"P-{n:06d}", datetime(2026, 1, 1, 10, n % 60), f"Patient {n} Pătrașcu", Decimal("225.00")]

    peaks = []
    for count in (10_000, 100_000):
        tracemalloc.start()
        started = time.perf_counter()
        with open(tmp_path / f"{count}.xlsx", "wb") as handle:
            write_xlsx(rows(count), handle, title="Statistics")
        elapsed = time.perf_counter() - started
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.5, peaks  # ten times the rows, not ten times the memory
    assert elapsed < 30  # about 3 s on a quiet machine; openpyxl's cells took about 20 s
    sheet = load_workbook(tmp_path / "100000.xlsx", read_only=True).worksheets[0]
    last = list(sheet.iter_rows(min_row=100_001, values_only=True))
    assert last == [("P-099999", datetime(2026, 1, 1, 10, 39), "Patient 99999 Pătrașcu", 225)]
