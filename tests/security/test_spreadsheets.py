"""Issue 16, defect 3: a price-list xlsx that unpacks to gigabytes (a sheet without a
<dimension>, or a shared-strings table) is refused from its zip directory, quickly and
without the memory growing; a refusal lists the first 50 problems and counts the rest."""

import json
import struct
import subprocess
import sys
import zipfile
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import make_staff

ROOT = Path(__file__).resolve().parents[2]

CONTENT_TYPES = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
                 b'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>')
WORKBOOK = (b'<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            b'<sheets><sheet name="S" sheetId="1"/></sheets></workbook>')


def _deflate_repeated(head: bytes, repeated: bytes, tail: bytes, megabytes: int):
    """A raw deflate stream of head + ``megabytes`` MB of ``repeated`` + tail, made in a
    moment: one megabyte compressed once with a full flush (no reference back) repeats."""
    chunk = repeated * (1024 * 1024 // len(repeated))

    def block(data):
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        return compressor.compress(data) + compressor.flush(zlib.Z_FULL_FLUSH)

    crc = zlib.crc32(head)
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    final = zlib.compressobj(9, zlib.DEFLATED, -15)
    stream = block(head) + block(chunk) * megabytes + final.compress(tail) + final.flush()
    return stream, crc, len(head) + len(chunk) * megabytes + len(tail)


def _bomb(path: Path, member: str, head: bytes, repeated: bytes, tail: bytes, megabytes: int):
    """An xlsx whose ``member`` really unpacks to ``megabytes`` MB (valid CRC: openpyxl
    would read it all), written by hand as zipfile cannot take a ready deflate stream."""
    members = [("[Content_Types].xml", CONTENT_TYPES), ("xl/workbook.xml", WORKBOOK)]
    if member != "xl/worksheets/sheet1.xml":
        members.append(("xl/worksheets/sheet1.xml", b'<worksheet><sheetData><row r="1"><c r="A1" t="s">'
                                                   b"<v>0</v></c></row></sheetData></worksheet>"))
    entries = []
    for name, data in members:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
        entries.append((name, compressor.compress(data) + compressor.flush(), zlib.crc32(data), len(data)))
    entries.append((member, *_deflate_repeated(head, repeated, tail, megabytes)))
    local, central = b"", b""
    for name, stream, crc, size in entries:
        encoded = name.encode()
        offset = len(local)
        local += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, 8, 0, 0, crc, len(stream), size,
                             len(encoded), 0) + encoded + stream
        central += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, 8, 0, 0, crc, len(stream), size,
                               len(encoded), 0, 0, 0, 0, 0, offset) + encoded
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(entries), len(entries), len(central), len(local), 0)
    path.write_bytes(local + central + end)
    return path


@pytest.fixture(scope="module")
def bombs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bombs")
    # A sheet of ~1.1 GiB of rows and no <dimension> element.
    sheet = _bomb(folder / "sheet.xlsx", "xl/worksheets/sheet1.xml", b"<worksheet><sheetData>",
                  b'<row><c t="inlineStr"><is><t>x</t></is></c></row>', b"</sheetData></worksheet>", 1100)
    strings = _bomb(folder / "strings.xlsx", "xl/sharedStrings.xml", b"<sst>", b"<si><t>a</t></si>", b"</sst>", 600)
    # A sheet of two cells, in A1 and in the far corner: a reader that lays out the area between
    # them (calamine does) would take 17 billion cells; Z1048576 alone 27 million, XFD1000 16 million.
    corners = {}
    for corner in ("Z1048576", "XFD1048576", "XFD1000"):
        row = int(corner.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
        path = folder / f"corner-{corner}.xlsx"
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("[Content_Types].xml", CONTENT_TYPES)
            archive.writestr("xl/workbook.xml", WORKBOOK)
            far = f'<c r="{corner}" t="inlineStr"><is><t>x</t></is></c>'
            cells = (f'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c>{far}</row>' if row == 1 else
                     f'<row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row><row r="{row}">{far}</row>')
            archive.writestr("xl/worksheets/sheet1.xml", f"<worksheet><sheetData>{cells}</sheetData></worksheet>")
        corners[corner] = path
    return {"sheet": sheet, "strings": strings, **corners}


PROBE = r"""
import json, resource, sys, time
import django
django.setup()
from clinic.pricelist import PriceListRejected, parse_price_list
content = open(sys.argv[1], "rb").read()
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
try:
    parse_price_list("p.xlsx", content, "EUR")
    refused = None
except PriceListRejected as rejected:
    refused = [str(error.reason) for error in rejected.errors]
elapsed = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"refused": refused, "seconds": elapsed, "grew_mb": (after - before) / 1024}))
"""


UNPACKS = "The workbook unpacks to far more than its size: it is refused."
SPANS = "The sheet spans far more cells than a table it can hold: it is refused."


@pytest.mark.parametrize(("kind", "reason"), [("sheet", UNPACKS), ("strings", UNPACKS), ("Z1048576", SPANS),
                                              ("XFD1048576", SPANS), ("XFD1000", SPANS)])
def test_a_zip_bomb_is_refused_in_under_two_seconds_with_memory_growing_under_100_mb(bombs, kind, reason):
    path = bombs[kind]
    assert path.stat().st_size < 5 * 1024 * 1024  # a few MB on the wire
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(path)], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"},
    )
    assert result.returncode == 0, result.stderr
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["refused"] == [reason]
    assert figures["seconds"] < 2
    assert figures["grew_mb"] < 100


@pytest.mark.django_db
def test_the_refusal_page_lists_50_problems_and_counts_the_rest(tenant, client_for):
    rows = "\n".join(f"B-{n},Name,Cat,-5,1,0,yes" for n in range(1000))
    content = ("code,name,category,duration_minutes,price,vat_rate,active\n" + rows + "\n").encode()
    response = client_for(make_staff("manager")).post("/services/import/",
                                                      {"file": SimpleUploadedFile("p.csv", content)})
    page = response.content.decode()
    assert page.count("Enter whole minutes between 1 and 1440.") == 50
    assert "1000 problems were found" in page
    assert "And 950 more problems, not listed" in page
    assert len(response.content) < 100_000


def test_openpyxl_parses_through_defusedxml_and_an_entity_bomb_is_refused():
    import io

    import openpyxl.xml
    from openpyxl import Workbook

    from clinic.pricelist import PriceListRejected, parse_price_list

    assert openpyxl.xml.DEFUSEDXML is True
    workbook = Workbook()
    workbook.active.append(["code", "name", "category", "duration_minutes", "price"])
    plain = io.BytesIO()
    workbook.save(plain)
    laughs = b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(plain.getvalue())) as source, zipfile.ZipFile(bomb, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if info.filename == "xl/workbook.xml":
                data = laughs + data.split(b"?>", 1)[-1]
            target.writestr(info, data)
    with pytest.raises(PriceListRejected) as refused:
        parse_price_list("p.xlsx", bomb.getvalue(), "EUR")
    assert [str(error.reason) for error in refused.value.errors] == ["The file is not a readable .xlsx workbook."]


def _workbook(sheet_xml: str, *, path: str = "xl/worksheets/sheet1.xml") -> bytes:
    import io

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/worksheets/sheet1.xml" if path != "xl/worksheets/sheet1.xml" else path,
                         sheet_xml if path == "xl/worksheets/sheet1.xml" else "<worksheet><sheetData/></worksheet>")
        if path != "xl/worksheets/sheet1.xml":
            archive.writestr(path, sheet_xml)
    return buffer.getvalue()


A1 = '<c r="A1" t="inlineStr"><is><t>x</t></is></c>'


@pytest.mark.parametrize(("sheet", "path"), [
    # The far cell's row read from its reference (its row has no r).
    (f'<worksheet><sheetData><row>{A1}</row><row><c r="Z200000"/></row></sheetData></worksheet>', None),
    # Single quotes, spaces around "=".
    (f"<worksheet><sheetData><row r='1'>{A1}</row><row r = '200000'><c r = 'Z200000'/></row></sheetData></worksheet>",
     None),
    # Elements with a namespace prefix.
    ('<x:worksheet xmlns:x="urn:x"><x:sheetData><x:row r="1"><x:c r="A1"/></x:row>'
     '<x:row r="200000"><x:c r="Z200000"/></x:row></x:sheetData></x:worksheet>', None),
    # A ">" inside an attribute's value before the reference.
    (f'<worksheet><sheetData><row r="1">{A1}</row><row r="200000"><c s=">" r="Z200000"/></row></sheetData></worksheet>',
     None),
    # What looks like a reference inside a quoted value, the real one after it.
    (f"""<worksheet><sheetData><row r="1">{A1}</row><row r="200000"><c s='q r="A1"' r="Z200000"/></row>"""
     "</sheetData></worksheet>", None),
    # The same in a row without references, walked tag by tag.
    (f"""<worksheet><sheetData><row>{A1}</row><row><c/><c s='q r="A1"' r="Z200000"/></row>"""
     "</sheetData></worksheet>", None),
    # The reference after two megabytes of an attribute (a tag across chunks).
    (f'<worksheet><sheetData><row r="1">{A1}</row><row r="200000"><c x="{"y" * (2 * 1024 * 1024)}" '
     'r="Z200000"/></row></sheetData></worksheet>', None),
    # Rows and cells without any reference, placed one after the other: 16,384 columns on row 1,
    # then a row at 1,000.
    ("<worksheet><sheetData><row>" + "<c/>" * 16384 + '</row><row r="1000"><c/></row></sheetData></worksheet>', None),
    # The sheet stored outside xl/worksheets/ (the workbook's relations may point anywhere).
    (f'<worksheet><sheetData><row r="1">{A1}</row><row r="200000"><c r="Z200000"/></row></sheetData></worksheet>',
     "xl/elsewhere/data.xml"),
])
def test_every_way_of_placing_a_far_cell_is_measured(sheet, path):
    from clinic.uploads import UploadRefused, check_xlsx_extent

    with pytest.raises(UploadRefused) as refused:
        check_xlsx_extent(_workbook(sheet, path=path or "xl/worksheets/sheet1.xml"))
    assert refused.value.message in (SPANS, "The file is not a readable .xlsx workbook.")


def test_a_real_sheet_without_references_is_measured_as_it_is_and_read():
    """Cells and rows without r (some writers leave them out) are placed one after the other:
    20,000 rows of 12 cells is 240,000 cells, well inside the limit."""
    from clinic.uploads import check_xlsx_extent

    rows = "".join("<row>" + "<c t=\"inlineStr\"><is><t>v</t></is></c>" * 12 + "</row>" for _ in range(20_000))
    check_xlsx_extent(_workbook(f"<worksheet><sheetData>{rows}</sheetData></worksheet>"))
