"""Reading an uploaded table (.xlsx or .csv) row by row: the one reader every import uses
(the price list, platform orders, platforms' statements). The upload itself has passed the
one checked path (``clinic.uploads``) before it gets here."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from clinic.errors import DomainError


class UnreadableTable(DomainError):
    """The file as a whole cannot be read (not its rows: those are the caller's to judge)."""


def read_rows(file_name: str, content: bytes, *, max_columns: int = 50) -> Iterator[list]:
    """Every row of the first sheet (or the csv) as a list of cell values, streamed: the caller
    stops at its own row limit, so a sheet of a million rows costs no more than the rows read."""
    name = file_name.lower()
    if name.endswith(".xlsx"):
        from python_calamine import CalamineError, CalamineWorkbook, PasswordError, XmlError, ZipError

        from clinic.uploads import UploadRefused, check_xlsx_extent, check_xlsx_zip

        # A zip bomb costs when the workbook is opened, before any row is read: its central
        # directory is checked first (nothing unpacked). calamine (Rust) reads a sheet of
        # 100,000 rows in a fraction of a second where openpyxl's read-only mode parses it
        # twice (once for its dimensions); its XML reader expands no entities. It lays out
        # the whole area the cells span, though: that area is checked from the cells'
        # references before it opens the workbook.
        try:
            check_xlsx_zip(content)
            check_xlsx_extent(content)
        except UploadRefused as refused:
            raise UnreadableTable(refused.message) from refused
        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
            sheet = workbook.get_sheet_by_index(0)
            rows = sheet.iter_rows()
        except (CalamineError, PasswordError, XmlError, ZipError, ValueError, IndexError, OSError) as exc:
            raise UnreadableTable(_("The file is not a readable .xlsx workbook.")) from exc
        for row in rows:
            yield [None if cell == "" else cell for cell in row[:max_columns]]
        return
    if name.endswith(".csv"):
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnreadableTable(_("Save the CSV file as UTF-8.")) from exc
        try:
            dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        except csv.Error:
            dialect = csv.excel
        for row in csv.reader(io.StringIO(text), dialect):
            yield row[:max_columns]
        return
    raise UnreadableTable(_("Upload an .xlsx or .csv file."))


def cell_text(value) -> str:
    """A cell as text: a number stored as a whole float (an order number Excel kept as a
    number) without its ".0", everything stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
