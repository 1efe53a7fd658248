"""One way in and out for every uploaded file.

A *purpose* (a barter agreement's signed document, a price-list import, …) names the
kinds of file it accepts and the largest size. A file's kind is decided by its content,
never by its name or the browser's content type: magic bytes first (``filetype``), then
the file is really opened — a PDF parsed with pypdf, an image decoded with Pillow (a DICOM
image read with pydicom), an
xlsx's zip directory checked before any XML inside is read (``check_xlsx_zip``). Stored
files get generated names under the clinic's own media folder, and are served only by
permission-checked views through ``file_response``: the type found again from the
content, ``attachment`` except for PDFs and raster images, ``nosniff`` and a sandboxing
Content-Security-Policy, never cached.
"""

from __future__ import annotations

import io
import re
import uuid
import warnings
import zipfile
from dataclasses import dataclass
from functools import wraps

import filetype
from django import forms
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt, csrf_protect

MB = 1024 * 1024

# kind -> (extension, content type, may be shown inline)
KINDS = {
    "pdf": ("pdf", "application/pdf", True),
    "png": ("png", "image/png", True),
    "jpeg": ("jpg", "image/jpeg", True),
    "webp": ("webp", "image/webp", True),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", False),
    "csv": ("csv", "text/csv", False),
    # A DICOM file is only ever a download: browsers do not show one.
    "dicom": ("dcm", "application/dicom", False),
}
IMAGE_KINDS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}


@dataclass(frozen=True)
class Purpose:
    name: str
    kinds: tuple[str, ...]
    max_bytes: int
    label: str  # what the refusal names: "PDF, PNG or JPEG"


PURPOSES = {
    "barter_document": Purpose("barter_document", ("pdf", "png", "jpeg"), 10 * MB,
                               gettext_lazy("a PDF, PNG or JPEG file")),
    "price_list": Purpose("price_list", ("xlsx", "csv"), 5 * MB, gettext_lazy("an .xlsx or .csv file")),
    # The panoramic X-ray taken before a platform order is redeemed (seed 000).
    "xray": Purpose("xray", ("jpeg", "png", "dicom"), 25 * MB,
                    gettext_lazy("a JPEG, PNG or DICOM image")),
    # A platform's monthly statement: tens of thousands of orders fit in a few MB.
    "platform_statement": Purpose("platform_statement", ("xlsx", "csv"), 20 * MB,
                                  gettext_lazy("an .xlsx or .csv file")),
    "platform_orders": Purpose("platform_orders", ("xlsx", "csv"), 5 * MB, gettext_lazy("an .xlsx or .csv file")),
}

# The limits of an xlsx's zip, checked from its central directory before anything is
# unpacked: a price list of 10,000 rows unpacks to a few MB.
XLSX_MAX_MEMBERS = 200
XLSX_MAX_MEMBER_BYTES = 50 * MB
XLSX_MAX_TOTAL_BYTES = 100 * MB
XLSX_MAX_RATIO = 100
# A sheet's reader (calamine) lays out every cell of the area from the first to the last used
# cell, empty ones too: a 1 KB sheet with a cell in A1 and one in XFD1048576 would be 17
# billion cells. The area a sheet spans is read from its cells' references first.
XLSX_MAX_CELLS = 4_000_000  # about 130 MB laid out: the largest statement taken (300,000 rows) of 13 columns
# A row's or a cell's start tag, with or without a namespace prefix, its attributes read whole
# (a quoted value may hold a ">" or what looks like an attribute); an attribute.
_NAME = rb"<(?:[A-Za-z_][\w.-]*:)?"
_ATTRIBUTES = rb"""(?:[^>"']|"[^"]*"|'[^']*')*"""
_TAG = re.compile(_NAME + rb"(row|c)(?=[\s/>])(" + _ATTRIBUTES + rb")>")
_ATTRIBUTE = re.compile(rb"""([\w:.-]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# As spreadsheet programs write them: no prefix, one space, the reference first in double quotes.
_ROW_REFERENCE = re.compile(rb'<row r="(\d{1,9})"')
_CELL_REFERENCE = re.compile(rb'<c r="([A-Z]{1,3})(\d{1,9})"')
_PREFIXED = re.compile(rb":(?:row|c)[\s/>]")
_OTHER_SPACES = (b"<row\t", b"<row\n", b"<row\r", b"<c\t", b"<c\n", b"<c\r")
_CHUNK = MB
_LONGEST_TAG = MB  # a tag longer than this is no spreadsheet's


class UploadRefused(Exception):
    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _refuse_kind(purpose: Purpose):
    return UploadRefused(_("This file is not %(kinds)s.") % {"kinds": purpose.label})


def check_xlsx_zip(content: bytes) -> None:
    """Refuse a zip bomb from the central directory alone (nothing is decompressed)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise UploadRefused(_("The file is not a readable .xlsx workbook.")) from exc
    if len(members) > XLSX_MAX_MEMBERS:
        raise UploadRefused(_("The workbook has too many parts to be a price list."))
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > XLSX_MAX_MEMBER_BYTES or total > XLSX_MAX_TOTAL_BYTES or (
            member.file_size > MB and ratio > XLSX_MAX_RATIO
        ):
            raise UploadRefused(_("The workbook unpacks to far more than its size: it is refused."))
    names = {member.filename for member in members}
    if "[Content_Types].xml" not in names or not any(name.startswith("xl/worksheets/") for name in names):
        raise UploadRefused(_("The file is not a readable .xlsx workbook."))
    # An .xlsx never declares a DTD; one that does is an entity bomb or worse, whichever XML
    # parser openpyxl uses (lxml, when installed, is not covered by defusedxml). The
    # declaration stands in the prolog: the first bytes of each XML part say it.
    for member in members:
        if member.filename.endswith((".xml", ".rels")):
            with archive.open(member) as part:
                if b"<!DOCTYPE" in part.read(4096).upper():
                    raise UploadRefused(_("The file is not a readable .xlsx workbook."))


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def _reference(attributes: bytes) -> tuple[bytes, int] | None:
    """A row's or a cell's own ``r`` (column letters, row number), None without one."""
    for name, double, single in _ATTRIBUTE.findall(attributes):
        if name == b"r":
            value = (double or single).replace(b"$", b"")
            letters = value.rstrip(b"0123456789")
            digits = value[len(letters):]
            return (letters.upper(), int(digits)) if digits.isdigit() and len(digits) <= 9 else (letters.upper(), 0)
    return None


def check_xlsx_extent(content: bytes, *, max_cells: int = XLSX_MAX_CELLS) -> None:
    """Refuse a sheet whose cells span more than ``max_cells`` (last row × last column), placed as
    a sheet reader places them: a row at its ``r`` or after the one before, a cell at its
    reference or after the one before. Every XML part is read (a sheet may be stored anywhere
    the workbook's relations say), streamed a megabyte at a time; run after ``check_xlsx_zip``
    (the parts' sizes are known to be sane). A chunk whose every row and cell carries its
    reference first (what spreadsheet programs write) is read by the regular expressions alone;
    any other is walked tag by tag."""
    refused = UploadRefused(_("The sheet spans far more cells than a table it can hold: it is refused."))
    archive = zipfile.ZipFile(io.BytesIO(content))
    for member in archive.infolist():
        if not member.filename.endswith(".xml"):
            continue
        last_row = last_column = row = column = 0
        tail = b""
        with archive.open(member) as part:
            while True:
                chunk = part.read(_CHUNK)
                text = tail + chunk
                if chunk:  # a tag cut at the chunk's end is read whole with the next chunk
                    cut = text.rfind(b"<")
                    if cut < 0:
                        cut = len(text)
                    text, tail = text[:cut], text[cut:]
                    if len(tail) > _LONGEST_TAG:
                        raise UploadRefused(_("The file is not a readable .xlsx workbook."))
                rows = _ROW_REFERENCE.findall(text)
                cells = _CELL_REFERENCE.findall(text)
                plain = (not _PREFIXED.search(text) and not any(space in text for space in _OTHER_SPACES)
                         and len(rows) == sum(text.count(b"<row" + end) for end in (b" ", b">", b"/"))
                         and len(cells) == sum(text.count(b"<c" + end) for end in (b" ", b">", b"/")))
                if plain:
                    if rows:
                        last_row = max(last_row, max(map(int, rows)))
                        row = int(rows[-1])
                    if cells:
                        last_column = max(last_column, max(map(_column_number, {letters for letters, _ in cells})))
                        last_row = max(last_row, max(map(int, (digits for _, digits in cells))))
                        column = _column_number(cells[-1][0])
                else:
                    for tag in _TAG.finditer(text):
                        name, attributes = tag.groups()
                        reference = _reference(attributes)
                        if name == b"row":
                            row = reference[1] if reference and not reference[0] else row + 1
                            column = 0
                        else:
                            if reference and reference[0]:
                                column = _column_number(reference[0])
                                row = max(row, reference[1])
                            else:
                                column += 1
                            last_column = max(last_column, column)
                        last_row = max(last_row, row)
                if last_row * max(last_column, 1) > max_cells:
                    raise refused
                if not chunk:
                    break


def _check_pdf(content: bytes, purpose: Purpose) -> None:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(content), strict=False)
        if len(reader.pages) < 1:
            raise _refuse_kind(purpose)
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, OSError, RecursionError) as exc:
        raise _refuse_kind(purpose) from exc


def _check_image(content: bytes, kind: str, purpose: Purpose) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            # A decompression bomb is an error here, not a warning.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != IMAGE_KINDS[kind]:
                    raise _refuse_kind(purpose)
                image.verify()
            with Image.open(io.BytesIO(content)) as image:
                image.load()
    except UploadRefused:
        raise
    except Exception as exc:  # Pillow raises many kinds for a broken image
        raise _refuse_kind(purpose) from exc


def _check_dicom(content: bytes, purpose: Purpose) -> None:
    """A DICOM image read by pydicom: a dataset with pixel data whose size fits its rows,
    columns, samples, bits and frames (uncompressed), or whose encapsulated frames parse."""
    import pydicom
    from pydicom import encaps
    from pydicom.errors import InvalidDicomError

    try:
        dataset = pydicom.dcmread(io.BytesIO(content))
        rows, columns = int(dataset.Rows), int(dataset.Columns)
        samples = int(dataset.get("SamplesPerPixel", 1))
        bits = int(dataset.BitsAllocated)
        frames = int(dataset.get("NumberOfFrames", 1) or 1)
        pixels = dataset.PixelData
        if rows < 1 or columns < 1 or samples < 1 or bits not in (1, 8, 16, 32) or frames < 1:
            raise _refuse_kind(purpose)
        if dataset.file_meta.TransferSyntaxUID.is_compressed:
            found = sum(1 for frame in encaps.generate_frames(pixels, number_of_frames=frames) if frame)
            if found != frames:
                raise _refuse_kind(purpose)
        else:
            expected = (rows * columns * samples * frames * bits + 7) // 8
            if len(pixels) < expected:
                raise _refuse_kind(purpose)
    except UploadRefused:
        raise
    except (InvalidDicomError, AttributeError, KeyError, ValueError, TypeError, EOFError, OSError) as exc:
        raise _refuse_kind(purpose) from exc


def _check_csv(content: bytes, purpose: Purpose) -> None:
    if b"\x00" in content[:65536]:
        raise _refuse_kind(purpose)
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadRefused(_("Save the CSV file as UTF-8.")) from exc


def detect_kind(content: bytes) -> str | None:
    """The kind the content's magic bytes name (or csv for plain text), else None."""
    if content[128:132] == b"DICM":  # the DICOM preamble and prefix
        return "dicom"
    found = filetype.guess(content[:8192])
    if found is None:
        head = content[:4096].lstrip()
        # Text that is markup is never a csv (an .html or .svg renamed .csv).
        if b"\x00" not in content[:65536] and not head.startswith((b"<", b"\xef\xbb\xbf<")):
            return "csv"
        return None
    if found.extension == "pdf":
        return "pdf"
    if found.extension in ("png", "webp"):
        return found.extension
    if found.extension == "jpg":
        return "jpeg"
    if found.extension in ("zip", "xlsx"):
        return "xlsx"
    return None


def check_content(content: bytes, purpose: Purpose) -> str:
    """Decide the kind of ``content`` for ``purpose`` or raise UploadRefused."""
    if len(content) > purpose.max_bytes:
        raise too_large(purpose)
    if not content:
        raise UploadRefused(_("The file is empty."))
    kind = detect_kind(content)
    if kind not in purpose.kinds:
        raise _refuse_kind(purpose)
    if kind == "pdf":
        _check_pdf(content, purpose)
    elif kind in IMAGE_KINDS:
        _check_image(content, kind, purpose)
    elif kind == "xlsx":
        check_xlsx_zip(content)
    elif kind == "csv":
        _check_csv(content, purpose)
    elif kind == "dicom":
        _check_dicom(content, purpose)
    return kind


def too_large(purpose: Purpose) -> UploadRefused:
    return UploadRefused(_("The file is larger than %(size)s MB.") % {"size": purpose.max_bytes // MB})


@dataclass
class CheckedUpload:
    """A file that passed its purpose's checks: its bytes and the kind they are."""

    content: bytes
    kind: str
    original_name: str

    @property
    def extension(self) -> str:
        return KINDS[self.kind][0]

    def as_django_file(self):
        from django.core.files.base import ContentFile

        return ContentFile(self.content, name=f"{uuid.uuid4().hex}.{self.extension}")


class CheckedFileField(forms.FileField):
    """A form field whose cleaned value is a CheckedUpload for its purpose."""

    def __init__(self, purpose: str, **kwargs):
        self.purpose = PURPOSES[purpose]
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if not upload or isinstance(upload, CheckedUpload) or not hasattr(upload, "read"):
            return upload
        if upload.size is not None and upload.size > self.purpose.max_bytes:
            raise forms.ValidationError(too_large(self.purpose).message)
        upload.seek(0)
        content = upload.read(self.purpose.max_bytes + 1)
        try:
            kind = check_content(content, self.purpose)
        except UploadRefused as refused:
            raise forms.ValidationError(refused.message) from refused
        return CheckedUpload(content=content, kind=kind, original_name=upload.name or "")


class _SizeLimitHandler(FileUploadHandler):
    """Stops reading the request body once a file grows past the purpose's limit
    (a request without a Content-Length, or one that lies about it)."""

    def __init__(self, request, max_bytes: int):
        super().__init__(request)
        self.max_bytes = max_bytes
        self.received = 0

    def receive_data_chunk(self, raw_data, start):
        self.received = start + len(raw_data)
        if self.received > self.max_bytes:
            self.request._upload_too_large = True
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size):
        return None


def upload_view(purpose_name: str):
    """Wrap a view that receives a file for ``purpose_name``: a body larger than the
    purpose allows is refused (413) before it is read; CSRF is still checked, after the
    size handler is in place (it must be set before the body is parsed)."""
    purpose = PURPOSES[purpose_name]
    # The form's other fields fit in a few kilobytes beside the file.
    body_limit = purpose.max_bytes + 64 * 1024

    def decorator(view):
        protected = csrf_protect(view)

        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method == "POST":
                try:
                    length = int(request.META.get("CONTENT_LENGTH") or 0)
                except ValueError:
                    length = 0
                if length > body_limit:
                    return refuse_too_large(request, purpose)
                request.upload_handlers.insert(0, _SizeLimitHandler(request, purpose.max_bytes))
                request.POST  # noqa: B018 - parse now, under the handler
                if getattr(request, "_upload_too_large", False):
                    return refuse_too_large(request, purpose)
            return protected(request, *args, **kwargs)

        return csrf_exempt(wrapper)

    return decorator


def refuse_too_large(request, purpose: Purpose):
    return render(request, "uploads/too_large.html", {"message": too_large(purpose).message,
                                                       "back": request.path}, status=413)


def file_response(field_file, purpose_name: str, *, download_name: str) -> FileResponse:
    """Serve a stored file of ``purpose_name``: its type decided again from its content
    (a file stored before the checks, or changed on disk, is only ever a download)."""
    purpose = PURPOSES[purpose_name]
    with field_file.open("rb") as handle:
        head = handle.read(8192)
    kind = detect_kind(head)
    if kind in purpose.kinds and kind != "csv":
        extension, content_type, inline = KINDS[kind]
    else:
        extension, content_type, inline = "bin", "application/octet-stream", False
    name = f"{download_name}.{extension}"
    response = FileResponse(field_file.open("rb"), as_attachment=not inline, filename=name,
                            content_type=content_type)
    protect_file_response(response)
    return response


def protect_file_response(response):
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cache-Control"] = "no-store, private"
    return response
