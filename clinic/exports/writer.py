"""The one writer of every exported file: rows in, an .xlsx (an openpyxl write-only workbook,
in constant memory) or a .csv out, streamed as the rows come.

Cells are made safe in one place: text that a spreadsheet would read as a formula — it starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP, "CSV injection") — is written
as text: in an .xlsx every text is an inline string cell (the writer writes no formula cell at
all), and in a .csv it gets a leading apostrophe, which spreadsheets take as "this is text".
Names typed by people must never run.

Speed: openpyxl builds a cell object and an lxml element for every cell (about 15 µs each: 26 s
for the 100,000-row partner statistics). Here openpyxl still makes the workbook — its parts,
styles, sheet properties and the frame of the sheet — but the rows of the sheet are written as
XML text by ``_row_xml`` into a temporary file (constant memory, no per-cell objects, one style
for each of date and date-and-time), which openpyxl's own writer then puts into the package.
"""

from __future__ import annotations

import csv
import io
import math
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from zipfile import ZIP_DEFLATED, ZipFile

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter
from openpyxl.writer.excel import ExcelWriter

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


def _text_xml(ref: str, value: str) -> str:
    """An inline string cell (never a formula, whatever the text starts with)."""
    if ILLEGAL_CHARACTERS_RE.search(value):  # control characters are not allowed in XML
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if not value:
            return ""
    if "&" in value or "<" in value or ">" in value:
        value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value[0].isspace() or value[-1].isspace():
        return f'<c r="{ref}" t="inlineStr"><is><t xml:space="preserve">{value}</t></is></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def _row_xml(index: int, values, letters: list[str], styles: dict[type, int], epoch) -> str:
    """One row of the sheet as SpreadsheetML, as openpyxl writes it: text inline, numbers and
    booleans as such, dates and times as numbers with a date style; empty cells left out."""
    if not isinstance(values, (list, tuple)):
        values = list(values)
    while len(values) > len(letters):
        letters.append(get_column_letter(len(letters) + 1))
    row = str(index)
    cells = []
    append = cells.append
    for column, value in enumerate(values):
        kind = type(value)
        if kind is str:
            if value:
                append(_text_xml(letters[column] + row, value))
        elif value is None:
            continue
        elif kind is Decimal:
            if value.is_finite():
                append(f'<c r="{letters[column]}{row}" t="n"><v>{value:f}</v></c>')
            else:
                append(_text_xml(letters[column] + row, str(value)))
        elif kind is datetime or kind is date:
            if kind is datetime and value.tzinfo is not None:  # Excel knows no time zones
                value = value.replace(tzinfo=None)
            append(f'<c r="{letters[column]}{row}" s="{styles[kind]}" t="n"><v>{to_excel(value, epoch)}</v></c>')
        elif kind is bool:
            append(f'<c r="{letters[column]}{row}" t="b"><v>{int(value)}</v></c>')
        elif kind is int or (kind is float and math.isfinite(value)):
            append(f'<c r="{letters[column]}{row}" t="n"><v>{value!r}</v></c>')
        else:  # anything else, as its text
            append(_text_xml(letters[column] + row, str(value)))
    return f'<row r="{row}">{"".join(cells)}</row>'


class _Written:
    """What openpyxl's ``ExcelWriter`` reads from a write-only sheet's writer: the file of the
    sheet's XML (``out``), its relationships, and ``cleanup()``."""

    def __init__(self, out: str, rels):
        self.out, self._rels = out, rels

    def cleanup(self):
        os.remove(self.out)


class _StreamedSheet(WriteOnlyWorksheet):
    """openpyxl's write-only worksheet whose rows are written as text by ``_row_xml``."""

    def __init__(self, parent, title):
        super().__init__(parent, title)
        handle, self._rows_path = tempfile.mkstemp(suffix=".xml")
        self._rows_file = os.fdopen(handle, "w", encoding="utf-8")
        self._row_index = 0
        self._letters: list[str] = []
        # One style per kind of date, registered in the workbook as openpyxl does for a cell.
        self._styles = {kind: WriteOnlyCell(self, value=sample).style_id
                        for kind, sample in ((datetime, datetime(2000, 1, 1, 1)), (date, date(2000, 1, 1)))}
        self._done = False

    @property
    def closed(self):
        return self._done

    def append(self, row):
        self._row_index += 1
        self._rows_file.write(_row_xml(self._row_index, row, self._letters, self._styles, self.parent.epoch))

    def close(self):
        """The sheet: openpyxl's frame (properties, views, format; page margins after the rows)
        around the rows written so far."""
        self._rows_file.close()
        frame = WorksheetWriter(self, out=io.BytesIO())
        frame.write_top()
        frame.write_rows()  # none: an empty sheetData, filled below
        frame.write_tail()
        frame.close()
        xml = frame.out.getvalue().replace(b"<sheetData/>", b"<sheetData></sheetData>")
        head, tail = xml.split(b"<sheetData></sheetData>")
        handle, path = tempfile.mkstemp(suffix=".xml")
        with os.fdopen(handle, "wb") as out, open(self._rows_path, "rb") as rows:
            out.write(head + b"<sheetData>")
            shutil.copyfileobj(rows, out, 1 << 20)
            out.write(b"</sheetData>" + tail)
        os.remove(self._rows_path)
        self._writer = _Written(path, frame._rels)
        self._done = True


def write_xlsx(rows: Iterable, handle, *, title: str, progress: Progress | None = None,
               total: int | None = None) -> None:
    """A workbook of one sheet named ``title``; ``progress(percent)`` now and then, of ``total`` rows."""
    workbook = Workbook(write_only=True)
    sheet = _StreamedSheet(parent=workbook, title=sheet_title(title))
    workbook._sheets.append(sheet)
    try:
        for row in _rows_with_progress(rows, progress, total):
            sheet.append(row)
        # openpyxl's save_workbook, with the fastest deflate: a sheet of inline strings
        # compresses well at any level, and the default one takes as long as writing the rows.
        workbook.properties.modified = datetime.now(tz=UTC).replace(tzinfo=None)
        with ZipFile(handle, "w", ZIP_DEFLATED, allowZip64=True, compresslevel=1) as archive:
            ExcelWriter(workbook, archive).write_data()
    finally:
        if not sheet.closed:
            sheet._rows_file.close()
            os.remove(sheet._rows_path)


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
