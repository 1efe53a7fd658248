"""The one writer of every exported file: rows in, an .xlsx (openpyxl's write-only mode, in
constant memory) or a .csv out, streamed as the rows come.

Cells are made safe in one place (``safe``): text that a spreadsheet would read as a formula —
it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV injection") —
is written as text: an .xlsx string cell (never a formula cell), and in a .csv with a leading
apostrophe, which spreadsheets take as "this is text". Names typed by people must never run.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

Progress = Callable[[int], None]
# What a cell holds as it is; anything else is written as its text.
NATIVE = (int, float, Decimal, date, datetime, bool)


def is_formula_like(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def sheet_title(title: str) -> str:
    """Excel refuses a sheet name longer than 31 characters or with any of []:*?/\\ in it."""
    return str(title).translate(dict.fromkeys(map(ord, "[]:*?/\\")))[:31] or "Sheet1"


def _rows_with_progress(rows: Iterable, progress: Progress | None, total: int | None):
    if progress is None:
        yield from rows
        return
    total = max(total or 1, 1)
    step = max(total // 20, 50)
    for index, row in enumerate(rows, start=1):
        yield row
        if index % step == 0:
            progress(index * 100 // total)


def write_xlsx(rows: Iterable, handle, *, title: str, progress: Progress | None = None,
               total: int | None = None) -> None:
    """A workbook of one sheet named ``title``; ``progress(percent)`` now and then, of ``total`` rows."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title(title))

    def safe(value):
        if type(value) is str:
            if not value:
                return None
            if ILLEGAL_CHARACTERS_RE.search(value):  # control characters are not allowed in XML
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
            if value.startswith(FORMULA_STARTS):
                cell = WriteOnlyCell(sheet, value=value)
                cell.data_type = "s"  # a string cell: no spreadsheet evaluates it
                return cell
            return value
        if type(value) is datetime and value.tzinfo is not None:  # Excel knows no time zones
            return value.replace(tzinfo=None)
        if value is not None and not isinstance(value, NATIVE):
            return safe(str(value))
        return value

    append = sheet.append
    for row in _rows_with_progress(rows, progress, total):
        append([safe(value) for value in row])
    workbook.save(handle)


def write_csv(rows: Iterable, handle, *, title: str = "", progress: Progress | None = None,
              total: int | None = None) -> None:
    """The rows as UTF-8 CSV (with a BOM, so that Excel reads the encoding) to the binary ``handle``."""
    text = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)

    def safe(value):
        if value is None:
            return ""
        if isinstance(value, str):
            return "'" + value if value.startswith(FORMULA_STARTS) else value
        if isinstance(value, datetime):
            return value.replace(tzinfo=None).isoformat(sep=" ", timespec="minutes")
        return str(value)

    for row in _rows_with_progress(rows, progress, total):
        writer.writerow([safe(value) for value in row])
    text.detach()


WRITERS = {"xlsx": write_xlsx, "csv": write_csv}
