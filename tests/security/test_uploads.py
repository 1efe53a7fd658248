"""Issue 16, defects 1 and 4: hostile uploads (an SVG or HTML page with a script, a
renamed .exe, a 50 MB file) go through one checked path and are served safely."""

import pytest
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from billing.barter.models import Agreement
from tests.factories import make_staff, one_page_pdf, png_image

pytestmark = pytest.mark.django_db

SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)">'
       b"<script>fetch('/staff/').then(r => r.text()).then(t => document.title = t)</script></svg>")
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00" + b"\x00" * 400


@pytest.fixture
def marketing(tenant):
    return make_staff("marketing")


def post_agreement(client, document):
    from tests.factories import ServiceFactory

    data = {"kind": "company", "name": "Radio Plus SRL", "overspend": "company", "valid_from": "2026-01-01",
            "services": [ServiceFactory().pk], "document": document}
    return client.post("/barter/agreements/new/", data)


@pytest.mark.parametrize("name, content, content_type", [
    ("agreement.svg", SVG, "image/svg+xml"),
    ("agreement.html", HTML, "text/html"),
    ("agreement.pdf", SVG, "application/pdf"),  # a script renamed .pdf
    ("agreement.pdf", EXE, "application/pdf"),  # a Windows program renamed .pdf
    ("agreement.pdf", b"%PDF-1.4 not really", "application/pdf"),  # magic bytes alone are not enough
])
def test_a_signed_document_that_is_not_a_pdf_or_raster_image_is_refused(marketing, client_for, name, content,
                                                                          content_type):
    response = post_agreement(client_for(marketing), SimpleUploadedFile(name, content, content_type=content_type))
    assert response.status_code == 422
    assert "This file is not a PDF, PNG or JPEG file." in response.content.decode()
    assert not Agreement.objects.exists()


def test_a_50_mb_signed_document_is_refused_before_it_is_read(marketing, client_for):
    response = post_agreement(client_for(marketing), SimpleUploadedFile("big.pdf", b"0" * (50 * 1024 * 1024)))
    assert response.status_code == 413
    assert "The file is larger than 10 MB." in response.content.decode()
    assert not Agreement.objects.exists()


def test_a_file_just_over_the_limit_is_stopped_while_the_body_streams(marketing, client_for):
    # The body's declared length is within the form's slack; the upload handler stops it.
    response = post_agreement(client_for(marketing),
                              SimpleUploadedFile("big.pdf", b"0" * (10 * 1024 * 1024 + 10_000)))
    assert response.status_code == 413
    assert not Agreement.objects.exists()


@pytest.mark.parametrize("content, content_type, extension", [
    (one_page_pdf(), "application/pdf", "pdf"),
    (png_image(), "image/png", "png"),
])
def test_a_real_pdf_or_image_is_stored_under_a_generated_name_and_served_inline_sandboxed(
        marketing, client_for, content, content_type, extension):
    client = client_for(marketing)
    response = post_agreement(client, SimpleUploadedFile("../../evil name.svg", content))
    assert response.status_code == 302
    agreement = Agreement.objects.get()
    stored = agreement.document.name
    assert stored.startswith("barter/") and stored.endswith(f".{extension}") and "evil" not in stored
    # The clinic's own folder (TenantFileSystemStorage).
    served = client.get(f"/barter/agreements/{agreement.pk}/document/")
    assert served.status_code == 200
    assert served["Content-Type"] == content_type
    assert served["Content-Disposition"].startswith("inline")
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == "sandbox"
    assert "no-store" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == content


def test_an_svg_stored_before_the_checks_is_only_ever_a_sandboxed_download(marketing, client_for):
    agreement = Agreement.objects.create(kind="company", name="Old", overspend="company", valid_from="2026-01-01")
    agreement.document.save("old.svg", ContentFile(SVG))
    served = client_for(make_staff("manager")).get(f"/barter/agreements/{agreement.pk}/document/")
    assert served.status_code == 200
    assert served["Content-Type"] == "application/octet-stream"
    assert served["Content-Disposition"].startswith("attachment")
    assert served["Content-Security-Policy"] == "sandbox"
    assert served["X-Content-Type-Options"] == "nosniff"


def test_the_document_is_refused_to_a_role_without_agreements(marketing, client_for):
    agreement = Agreement.objects.create(kind="company", name="Old", overspend="company", valid_from="2026-01-01")
    agreement.document.save("a.pdf", ContentFile(one_page_pdf()))
    assert client_for(make_staff(None)).get(f"/barter/agreements/{agreement.pk}/document/").status_code == 403


def test_a_price_list_that_is_really_a_web_page_is_refused(client_for, tenant):
    response = client_for(make_staff("manager")).post(
        "/services/import/", {"file": SimpleUploadedFile("prices.csv", HTML)})
    assert response.status_code == 200
    assert "This file is not an .xlsx or .csv file." in response.content.decode()


def test_an_upload_without_the_csrf_token_is_refused(marketing, tenant):
    from django.test import Client

    client = Client(HTTP_HOST=tenant.primary_domain, enforce_csrf_checks=True)
    client.force_login(marketing)
    response = post_agreement(client, SimpleUploadedFile("a.pdf", one_page_pdf()))
    assert response.status_code == 403
    assert not Agreement.objects.exists()
