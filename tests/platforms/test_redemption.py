"""Redemption at the visit (核销): a package's lines at the settlement price paid by the order, a
cash voucher's payment, the X-ray, the refusals, the visit page's panel and two desks at once."""

from __future__ import annotations

import io
from decimal import Decimal
from functools import partial

import pytest
from django.db import connection
from django.urls import reverse
from django_tenants.utils import tenant_context

from billing import ledger
from billing import services as billing
from billing.models import Book, Method, PayerKind, Payment, VisitLine
from billing.reports import cash_report, revenue_report
from clinic.errors import DomainError
from clinic.uploads import PURPOSES, CheckedUpload, UploadRefused, check_content
from platforms import redemption
from platforms.models import OrderStatus
from platforms.services import platform_counterparty
from tests.concurrency import at_once
from tests.factories import LocationFactory, PatientFactory, PractitionerFactory, ServiceFactory
from tests.platform_factories import PlatformFactory, make_order, product_with

D = Decimal


# --- real image bytes ------------------------------------------------------------------------


def image_bytes(kind: str = "PNG") -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (32, 16), color=128).save(buffer, format=kind)
    return buffer.getvalue()


def dicom_bytes(*, pixels: bytes | None = None) -> bytes:
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    dataset = FileDataset("xray.dcm", {}, file_meta=meta, preamble=b"\0" * 128)
    dataset.SOPClassUID, dataset.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    dataset.Modality = "DX"
    dataset.Rows, dataset.Columns = 8, 16
    dataset.SamplesPerPixel, dataset.PhotometricInterpretation = 1, "MONOCHROME2"
    dataset.BitsAllocated, dataset.BitsStored, dataset.HighBit, dataset.PixelRepresentation = 8, 8, 7, 0
    dataset.PixelData = bytes(range(128)) if pixels is None else pixels
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def upload(content: bytes) -> CheckedUpload:
    return CheckedUpload(content=content, kind=check_content(content, PURPOSES["xray"]), original_name="x")


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def clinic(tenant):
    from tests.factories import make_staff

    return {
        "location": LocationFactory(), "practitioner": PractitionerFactory(),
        "check": ServiceFactory(code="PCHK", price=D("100.00")),
        "cleaning": ServiceFactory(code="PCLN", price=D("200.00")),
        "xray": ServiceFactory(code="PXR", price=D("33.33")),
        "extraction": ServiceFactory(code="PEXT", price=D("350.00")),
        "filling": ServiceFactory(code="PFIL", price=D("250.00")),
        "patient": PatientFactory(), "desk": make_staff("front_desk"),
        "platform": PlatformFactory(name="Insurer benefits", currency="EUR"),
    }


@pytest.fixture
def visit(clinic):
    return billing.open_visit(patient=clinic["patient"], location=clinic["location"],
                              practitioner=clinic["practitioner"], actor=clinic["desk"])


@pytest.fixture
def package_order(clinic):
    # 180.00 over check-up 100, cleaning 200 × 2 and an X-ray 33.33: shares that need rounding.
    product = product_with({"PCHK": 1, "PCLN": 2, "pxr": 1}, platform=clinic["platform"],
                           settlement_price=D("180.00"))
    return make_order(product, status=OrderStatus.CONFIRMED, patient=clinic["patient"])


@pytest.fixture
def voucher_order(clinic):
    product = product_with({"PEXT": 1}, platform=clinic["platform"], kind="cash_voucher", face_value=D("200.00"))
    return make_order(product, status=OrderStatus.CONFIRMED, patient=clinic["patient"])


def live_lines(visit):
    return list(VisitLine.objects.filter(visit=visit, voided_at__isnull=True).select_related("payer", "service"))


# --- the split ---------------------------------------------------------------------------------


def test_the_settlement_price_is_split_by_list_price_half_up_and_the_last_line_takes_the_rest(clinic):
    items = [(clinic["check"], 1), (clinic["cleaning"], 2), (clinic["xray"], 1)]
    plan = redemption.settlement_split(D("180.00"), items, "EUR")
    # 180 × 100 / 533.33 = 33.750… → 33.75; × 200 → 67.50; the X-ray takes 180 − 33.75 − 135.00.
    assert [(line.service, line.quantity, line.unit_price) for line in plan] == [
        (clinic["check"], 1, D("33.75")), (clinic["cleaning"], 2, D("67.50")), (clinic["xray"], 1, D("11.25"))]
    assert sum(line.unit_price * line.quantity for line in plan) == D("180.00")


def test_a_last_service_of_several_units_gives_its_last_unit_the_remainder(clinic):
    plan = redemption.settlement_split(D("100.00"), [(clinic["check"], 1), (clinic["cleaning"], 3)], "EUR")
    # 100 × 100 / 700 = 14.285… → 14.29; 100 × 200 / 700 = 28.571… → 28.57 (half up).
    assert [(line.quantity, line.unit_price) for line in plan] == [(1, D("14.29")), (2, D("28.57")), (1, D("28.57"))]
    assert sum(line.unit_price * line.quantity for line in plan) == D("100.00")
    half = redemption.settlement_split(D("0.05"), [(clinic["check"], 1), (clinic["check"], 1)], "EUR")
    assert [line.unit_price for line in half] == [D("0.03"), D("0.02")]  # 0.025 → 0.03 half up


# --- a package ------------------------------------------------------------------------------------


def test_a_package_is_charged_to_the_order_at_its_settlement_price_and_the_patient_owes_nothing(
        clinic, visit, package_order):
    before_revenue = revenue_report(billing.clinic_today(), billing.clinic_today()).total
    order = redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], image=upload(image_bytes()))

    lines = live_lines(visit)
    assert [(line.service.code, line.quantity, line.unit_price, line.payer_id) for line in lines] == [
        ("PCHK", 1, D("33.75"), order.payer_id), ("PCLN", 2, D("67.50"), order.payer_id),
        ("PXR", 1, D("11.25"), order.payer_id)]
    assert all(line.price_changed_by is None for line in lines)  # the coverage priced them, not the desk
    assert ledger.visit_due(visit, billing.patient_account(clinic["patient"])) == D("0.00")
    assert ledger.balance(clinic["patient"]) == D("0.00")
    counterparty = platform_counterparty(clinic["platform"])
    assert ledger.counterparty_balance(counterparty).owes == D("180.00")
    assert ledger.owed_by(order.payer) == D("180.00")
    # Neither revenue nor cash: the charges sit on the platform clearing account.
    assert revenue_report(billing.clinic_today(), billing.clinic_today()).total == before_revenue
    assert cash_report(billing.clinic_today()).total == D("0.00")
    assert ledger.trial_balance()[("book", Book.PLATFORM_CLEARING)] <= D("-180.00")
    assert sum(ledger.trial_balance().values()) == 0

    order.refresh_from_db()
    assert (order.status, order.visit, order.redeemed_by, order.no_image_reason) == (
        "redeemed", visit, clinic["desk"], "")
    assert order.image.name.startswith("platform-orders/") and order.image.read()[:8] == b"\x89PNG\r\n\x1a\n"
    event = order.events.last()
    assert (event.action, event.from_status, event.to_status, event.actor) == (
        "redeemed", "confirmed", "redeemed", clinic["desk"])


def test_a_package_service_booked_for_the_patient_becomes_the_orders(clinic, visit, package_order):
    booked = billing.add_line(visit, service=clinic["check"], actor=clinic["desk"])
    assert ledger.balance(clinic["patient"]) == D("100.00")
    redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="Machine broken")
    booked.refresh_from_db()
    assert booked.voided_at is not None
    assert booked.void_details == {"text": "Paid by platform order %(number)s", "values": {"number": package_order.number}}
    assert booked.void_text == f"Paid by platform order {package_order.number}"
    assert ledger.balance(clinic["patient"]) == D("0.00")
    assert sum(line.net for line in live_lines(visit)) == D("180.00")


def test_units_beyond_the_package_on_a_booked_line_stay_the_patients(clinic, visit, package_order):
    billing.add_line(visit, service=clinic["cleaning"], quantity=3, actor=clinic["desk"])
    order = redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    cleaning = [(line.payer_id, line.quantity) for line in live_lines(visit) if line.service == clinic["cleaning"]]
    assert sorted(cleaning) == sorted([(billing.patient_account(clinic["patient"]).pk, 1), (order.payer_id, 2)])
    assert ledger.balance(clinic["patient"]) == D("200.00")
    assert ledger.owed_by(order.payer) == D("180.00")


def test_extra_services_are_the_patients_and_a_package_service_entered_again_is_the_orders(
        clinic, visit, package_order):
    order = redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    extra = billing.add_line(visit, service=clinic["filling"], actor=clinic["desk"])
    assert extra.payer.kind == PayerKind.PATIENT and extra.unit_price == D("250.00")
    # The package's check-up is used: another one is the patient's, at the list price.
    another = billing.add_line(visit, service=clinic["check"], actor=clinic["desk"])
    assert another.payer.kind == PayerKind.PATIENT and another.unit_price == D("100.00")
    # A package line voided (a mistake) and entered again goes back to the order at its price.
    package_check = VisitLine.objects.get(visit=visit, payer=order.payer, service=clinic["check"])
    billing.void_line(package_check, reason="Wrong practitioner", actor=clinic["desk"])
    again = billing.add_line(visit, service=clinic["check"], actor=clinic["desk"])
    assert (again.payer_id, again.unit_price) == (order.payer_id, D("33.75"))
    assert ledger.owed_by(order.payer) == D("180.00")
    assert ledger.visit_due(visit, billing.patient_account(clinic["patient"])) == D("350.00")


def test_the_order_takes_no_line_beyond_its_package_nor_at_another_price(clinic, visit, package_order):
    order = redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    with pytest.raises(DomainError, match="does not contain this service"):
        billing.add_line(visit, service=clinic["filling"], payer=order.payer, actor=clinic["desk"])
    with pytest.raises(DomainError, match="covers 0 more"):
        billing.add_line(visit, service=clinic["cleaning"], payer=order.payer, actor=clinic["desk"])
    with pytest.raises(DomainError, match="may not change the price-list price"):
        billing.add_line(visit, service=clinic["filling"], unit_price="1.00", actor=clinic["desk"])


def test_a_service_code_missing_from_the_price_list_is_named_and_nothing_changes(clinic, visit):
    product = product_with({"PCHK": 1, "NOPE-9": 1}, platform=clinic["platform"])
    order = make_order(product, status=OrderStatus.CONFIRMED, patient=clinic["patient"])
    with pytest.raises(DomainError, match="NOPE-9"):
        redemption.redeem_order(order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    order.refresh_from_db()
    assert order.status == "confirmed" and order.visit is None and not live_lines(visit)


# --- refusals --------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, message", [
    (OrderStatus.NEW, "Only a confirmed order can be redeemed; this one is awaiting confirmation."),
    (OrderStatus.CANCELLED, "Only a confirmed order can be redeemed; this one is cancelled."),
])
def test_an_order_not_confirmed_is_refused(clinic, visit, status, message):
    product = product_with({"PCHK": 1}, platform=clinic["platform"])
    order = make_order(product, status=status, patient=clinic["patient"])
    with pytest.raises(DomainError) as refused:
        redemption.redeem_order(order, visit=visit, actor=clinic["desk"], no_image_reason="x")
    assert refused.value.message == message


def test_redeeming_twice_is_refused_with_a_message(clinic, visit, package_order):
    redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    with pytest.raises(DomainError, match=f"already redeemed \\(visit #{visit.number}\\)"):
        redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    assert len(live_lines(visit)) == 3


def test_another_patients_visit_a_closed_visit_and_no_image_without_a_reason_are_refused(
        clinic, visit, package_order):
    stranger = billing.open_visit(patient=PatientFactory(), location=clinic["location"], actor=clinic["desk"])
    with pytest.raises(DomainError, match="not the order's patient's"):
        redemption.redeem_order(package_order, visit=stranger, actor=clinic["desk"], no_image_reason="x")
    with pytest.raises(DomainError, match="Upload the panoramic X-ray first"):
        redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="   ")
    billing.close_visit(visit, actor=clinic["desk"])
    with pytest.raises(DomainError, match="This visit is closed"):
        redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="x")
    package_order.refresh_from_db()
    assert package_order.status == "confirmed" and not VisitLine.objects.filter(payer=package_order.payer).exists()


# --- a cash voucher ----------------------------------------------------------------------------------


def test_a_cash_voucher_pays_part_of_an_extraction_and_the_rest_is_the_patients(clinic, visit, voucher_order):
    billing.add_line(visit, service=clinic["extraction"], actor=clinic["desk"])
    billing.add_line(visit, service=clinic["filling"], actor=clinic["desk"])  # not named by the voucher
    order = redemption.redeem_order(voucher_order, visit=visit, actor=clinic["desk"], image=upload(dicom_bytes()))

    payment = order.voucher_payment
    assert (payment.method, payment.amount, payment.payer.kind) == (Method.CASH_VOUCHER, D("200.00"), "patient")
    assert ledger.visit_due(visit, billing.patient_account(clinic["patient"])) == D("400.00")  # 150 + 250
    assert ledger.counterparty_balance(platform_counterparty(clinic["platform"])).owes == D("200.00")
    # One posting: the patient's debt −200, the order's (the platform's) +200, no leg on the clinic's books.
    legs = list(payment.entries.order_by("id").values_list("account__kind", "bucket", "amount", "book"))
    assert legs == [("patient", "debt", D("-200.00"), ""), ("platform_order", "debt", D("200.00"), "")]
    assert len({leg.posting_id for leg in payment.entries.all()}) == 1
    assert sum(ledger.trial_balance().values()) == 0
    # Not cash: its own row among what was paid from money received earlier.
    report = cash_report(billing.clinic_today())
    assert report.total == D("0.00") and Method.CASH_VOUCHER not in report.by_method
    assert report.non_cash == {Method.CASH_VOUCHER: D("200.00")}
    assert [row[1] for row in report.non_cash_rows()] == ["Cash-voucher principal"]


def test_the_systems_reasons_are_read_in_the_readers_language_and_read_back_from_before(
        clinic, visit, package_order, voucher_order):
    """"Paid by platform order N" on the line a package took, "Platform order N" on the voucher's
    payment: kept as data, read in the reader's language; written before in any language, read back
    into data by the platforms migration where an order of that number was redeemed on the visit."""
    from importlib import import_module

    from django.apps import apps
    from django.utils import translation

    from billing.models import Payment, VisitLine

    booked = billing.add_line(visit, service=clinic["check"], actor=clinic["desk"])
    redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="Machine broken")
    billing.add_line(visit, service=clinic["extraction"], actor=clinic["desk"])
    payment = redemption.redeem_order(voucher_order, visit=visit, actor=clinic["desk"],
                                      no_image_reason="No machine").voucher_payment
    payment.refresh_from_db()
    booked.refresh_from_db()
    assert payment.reason_details == {"text": "Platform order %(number)s", "values": {"number": voucher_order.number}}
    with translation.override("ru"):
        assert payment.reason_text == f"Заказ платформы {voucher_order.number}"
        assert booked.void_text == f"Оплачено заказом платформы {package_order.number}"

    with translation.override("zh-hans"):  # as a Chinese desk wrote them before
        VisitLine.objects.filter(pk=booked.pk).update(void_details={}, void_reason=translation.gettext(
            "Paid by platform order %(number)s") % {"number": package_order.number})
        Payment.objects.filter(pk=payment.pk).update(reason_details={}, reason=translation.gettext(
            "Platform order %(number)s") % {"number": voucher_order.number})
    typed = billing.add_line(visit, service=clinic["filling"], actor=clinic["desk"])
    billing.void_line(typed, reason="Paid by platform order 999", actor=clinic["desk"])  # no such order here
    migration = import_module("platforms.migrations.0003_system_reasons")
    migration.reasons_to_details(apps, None)
    booked.refresh_from_db()
    payment.refresh_from_db()
    typed.refresh_from_db()
    assert (booked.void_reason, booked.void_details) == (
        "", {"text": "Paid by platform order %(number)s", "values": {"number": package_order.number}})
    assert (payment.reason, payment.reason_details) == (
        "", {"text": "Platform order %(number)s", "values": {"number": voucher_order.number}})
    assert (typed.void_reason, typed.void_details) == ("Paid by platform order 999", {})
    migration.details_to_reasons(apps, None)
    booked.refresh_from_db()
    assert booked.void_reason == f"Paid by platform order {package_order.number}"


def test_a_voucher_pays_no_more_than_its_services_cost_and_adds_them_when_missing(clinic, visit):
    product = product_with({"PCHK": 1}, platform=clinic["platform"], kind="cash_voucher", face_value=D("200.00"))
    order = make_order(product, status=OrderStatus.CONFIRMED, patient=clinic["patient"])
    order = redemption.redeem_order(order, visit=visit, actor=clinic["desk"], no_image_reason="Not needed")
    line, = live_lines(visit)
    assert (line.service, line.payer.kind, line.unit_price) == (clinic["check"], "patient", D("100.00"))
    assert order.voucher_payment.amount == D("100.00")
    assert ledger.balance(clinic["patient"]) == D("0.00")
    assert ledger.owed_by(order.payer) == D("100.00")


def test_a_cash_voucher_payment_is_neither_taken_nor_refunded_at_the_cashier(clinic, visit, voucher_order):
    billing.add_line(visit, service=clinic["extraction"], actor=clinic["desk"])
    order = redemption.redeem_order(voucher_order, visit=visit, actor=clinic["desk"], no_image_reason="x")
    with pytest.raises(DomainError, match="recorded from the platform's orders"):
        billing.refund_payment(order.voucher_payment, amount="50", reason="asked", actor=clinic["desk"])
    with pytest.raises(DomainError, match="recorded from the platform's orders"):
        billing.take_payment(patient=clinic["patient"], visit=visit, method=Method.CASH_VOUCHER, amount="10",
                             actor=clinic["desk"])
    from billing.forms import PaymentForm

    assert "cash_voucher" not in dict(PaymentForm.base_fields["method"].choices)
    assert Payment.objects.filter(method=Method.CASH_VOUCHER).count() == 1


# --- the X-ray ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("content, kind", [
    (image_bytes("JPEG"), "jpeg"), (image_bytes("PNG"), "png"), (dicom_bytes(), "dicom")])
def test_real_jpeg_png_and_dicom_images_are_accepted(content, kind):
    assert check_content(content, PURPOSES["xray"]) == kind


@pytest.mark.parametrize("content", [
    b"this is not an image at all, only text named xray.jpg",
    image_bytes("PNG")[:60],  # a PNG cut short
    b"\xff\xd8\xff\xe0" + b"\0" * 200,  # JPEG magic and nothing else
    b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00garbage",  # a DICOM prefix and no dataset
    dicom_bytes(pixels=b"\0" * 10),  # fewer pixels than its rows and columns need
    image_bytes("GIF"),  # a real image of a kind not taken
])
def test_a_fake_broken_or_other_image_is_refused(content):
    with pytest.raises(UploadRefused, match="This file is not a JPEG, PNG or DICOM image."):
        check_content(content, PURPOSES["xray"])


def test_a_too_large_image_is_refused():
    with pytest.raises(UploadRefused, match="larger than 25 MB"):
        check_content(b"\0" * (PURPOSES["xray"].max_bytes + 1), PURPOSES["xray"])


def test_a_dicom_xray_is_served_as_a_download_only_to_those_who_see_orders(clinic, package_order, client_for,
                                                                         doctor):
    redemption.attach_image(package_order, upload(dicom_bytes()), actor=clinic["desk"])
    url = reverse("platform_order_image", args=[package_order.pk])
    response = client_for(clinic["desk"]).get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/dicom"
    assert response["Content-Disposition"].startswith("attachment") and "nosniff" in response["X-Content-Type-Options"]
    assert b"".join(response.streaming_content)[128:132] == b"DICM"
    assert client_for(doctor).get(url).status_code == 403
    assert client_for(None).get(url).status_code == 302  # to the login page


def test_the_xray_is_stored_in_the_clinics_own_folder(clinic, package_order):
    from django.conf import settings

    order = redemption.attach_image(package_order, upload(image_bytes("JPEG")), actor=clinic["desk"])
    path = order.image.path
    assert path.startswith(str(settings.MEDIA_ROOT / connection.schema_name)) and path.endswith(".jpg")
    assert order.events.last().action == "image"


# --- the visit page --------------------------------------------------------------------------------


def test_the_visit_page_shows_the_order_and_redeems_it_with_an_uploaded_image(clinic, visit, package_order,
                                                                                client_for):
    desk = client_for(clinic["desk"])
    page = desk.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    assert "Platform order" in page and package_order.number in page and "Awaiting" not in page
    file = io.BytesIO(image_bytes("PNG"))
    file.name = "pano.png"
    response = desk.post(reverse("platform_order_image_upload", args=[package_order.pk]),
                         {"visit": visit.pk, "image": file})
    assert response.status_code == 302
    response = desk.post(reverse("platform_order_redeem", args=[package_order.pk]), {"visit": visit.pk}, follow=True)
    html = response.content.decode()
    assert f"Order {package_order.number} is redeemed." in html and "Redeemed" in html
    image = desk.get(reverse("platform_order_image", args=[package_order.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image["Content-Security-Policy"] == "sandbox"


def test_the_visit_page_offers_an_order_as_payer_only_for_what_it_can_take(clinic, visit, package_order,
                                                                          voucher_order, client_for):
    import re

    order = redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    filling = billing.add_line(visit, service=clinic["filling"], actor=clinic["desk"])  # not in the package
    another_check = billing.add_line(visit, service=clinic["check"], actor=clinic["desk"])  # the package's is used
    package_cleaning = VisitLine.objects.filter(visit=visit, payer=order.payer, service=clinic["cleaning"]).first()
    billing.void_line(package_cleaning, reason="Entered for the patient by mistake", actor=clinic["desk"])
    cleaning = billing.add_line(visit, service=clinic["cleaning"], actor=clinic["desk"],
                                payer=billing.patient_account(clinic["patient"]))
    page = client_for(clinic["desk"]).get(reverse("visit_detail", args=[visit.pk])).content.decode()

    def offered(line) -> list[str]:
        select = re.search(rf'<select[^>]*id="payer-{line.pk}"[^>]*>(.*?)</select>', page, re.S)
        return re.findall(r'<option value="(\d+)"', select.group(1)) if select else []

    assert offered(filling) == [] and offered(another_check) == []  # neither order can take them
    assert offered(cleaning) == [str(order.payer_id)]  # the package has a cleaning left: back to the order
    every_offer = re.findall(r'<select[^>]*id="payer-\d+"[^>]*>(.*?)</select>', page, re.S)
    assert voucher_order.payer_id and all(f'value="{voucher_order.payer_id}"' not in offers for offers in every_offer)
    package_line = VisitLine.objects.filter(visit=visit, payer=order.payer, voided_at__isnull=True).first()
    assert offered(package_line) == [str(billing.patient_account(clinic["patient"]).pk)]


def test_a_fake_image_upload_and_a_reasonless_redemption_are_refused_with_a_message(clinic, visit, package_order,
                                                                                      client_for):
    desk = client_for(clinic["desk"])
    fake = io.BytesIO(b"GIF89a not really")
    fake.name = "pano.jpg"
    response = desk.post(reverse("platform_order_image_upload", args=[package_order.pk]),
                         {"visit": visit.pk, "image": fake}, follow=True)
    assert "This file is not a JPEG, PNG or DICOM image." in response.content.decode()
    response = desk.post(reverse("platform_order_redeem", args=[package_order.pk]),
                         {"visit": visit.pk, "without_image": "1", "no_image_reason": " "}, follow=True)
    assert "Say why the order is redeemed without an image." in response.content.decode()
    package_order.refresh_from_db()
    assert package_order.status == "confirmed" and not package_order.image


def test_a_role_without_the_permission_is_refused(clinic, visit, package_order, client_for, doctor):
    as_doctor = client_for(doctor)
    assert as_doctor.post(reverse("platform_order_redeem", args=[package_order.pk]),
                          {"visit": visit.pk, "without_image": "1", "no_image_reason": "x"}).status_code == 403
    assert as_doctor.post(reverse("platform_order_image_upload", args=[package_order.pk]),
                          {"visit": visit.pk}).status_code == 403
    assert as_doctor.get(reverse("platform_order_image", args=[package_order.pk])).status_code == 403
    assert "platform-order-panel" not in as_doctor.get(reverse("visit_detail", args=[visit.pk])).content.decode()
    package_order.refresh_from_db()
    assert package_order.status == "confirmed"


def test_another_clinics_order_or_visit_is_not_found(clinic, visit, package_order, client_for):
    desk = client_for(clinic["desk"])
    missing = package_order.pk + 100_000
    assert desk.post(reverse("platform_order_redeem", args=[missing]),
                     {"visit": visit.pk, "without_image": "1", "no_image_reason": "x"}).status_code == 404
    assert desk.get(reverse("platform_order_image", args=[missing])).status_code == 404
    # A visit that is not the order's patient's (another clinic's id, or another patient's) is not found.
    assert desk.post(reverse("platform_order_redeem", args=[package_order.pk]),
                     {"visit": visit.pk + 100_000, "without_image": "1", "no_image_reason": "x"}).status_code == 404
    assert desk.get(reverse("platform_order_image", args=[package_order.pk])).status_code == 404  # no image yet


def test_an_order_of_another_clinic_is_not_found_here(clinic, visit, package_order, client_for, clinic_b,
                                                     in_clinic):
    from platforms.models import PlatformOrder

    with in_clinic(clinic_b):
        theirs = make_order(package_order.product, status=OrderStatus.CONFIRMED, patient=PatientFactory())
    while PlatformOrder.objects.filter(pk=theirs.pk).exists():  # the same id here: take another of theirs
        with in_clinic(clinic_b):
            theirs = make_order(package_order.product, status=OrderStatus.CONFIRMED, patient=PatientFactory())
    desk = client_for(clinic["desk"])
    assert desk.post(reverse("platform_order_redeem", args=[theirs.pk]),
                     {"visit": visit.pk, "without_image": "1", "no_image_reason": "x"}).status_code == 404
    assert desk.post(reverse("platform_order_image_upload", args=[theirs.pk]), {"visit": visit.pk}).status_code == 404
    assert desk.get(reverse("platform_order_image", args=[theirs.pk])).status_code == 404
    with in_clinic(clinic_b):
        assert PlatformOrder.objects.get(pk=theirs.pk).status == "confirmed"


def test_the_statement_shows_the_package_at_zero_to_the_patient(clinic, visit, package_order, client_for):
    redemption.redeem_order(package_order, visit=visit, actor=clinic["desk"], no_image_reason="No machine")
    html = client_for(clinic["desk"]).get(
        reverse("patient_statement", args=[clinic["patient"].pk]) + "?tab=visits").content.decode()
    assert f"paid by {clinic['platform'].name} {package_order.number}" in html
    assert "to the patient 0.00 EUR" in html


# --- two desks at once ----------------------------------------------------------------------------


@pytest.fixture
def committed_order(django_db_blocker, clinic_a):
    """A confirmed package order and its patient's open visit, committed (threads see them)."""
    from clinic.models import Location, Service, ServiceCategory
    from clinic.patients.models import Patient
    from platforms.catalogue.models import Platform, Product, ProductService

    with django_db_blocker.unblock():
        platform = PlatformFactory(name="Race platform", currency="EUR")
        product = product_with({"RACE-1": 2}, platform=platform, settlement_price=D("99.99"))
        with tenant_context(clinic_a):
            location = Location.objects.create(name="Redemption race room")
            category = ServiceCategory.objects.create(name="Redemption race")
            service = Service.objects.create(code="RACE-1", name="Race", category=category, duration_minutes=30,
                                             price="80.00")
            patient = Patient.objects.create(first_name="Twice", last_name="Redeemed")
            # No staff user: the race is between the desks' requests, not their people (and a user's
            # deletion would reach every app's tables).
            visit = billing.open_visit(patient=patient, location=location, actor=None)
            order = make_order(product, status=OrderStatus.CONFIRMED, patient=patient)
    yield {"order": order, "visit": visit, "desk": None}
    with django_db_blocker.unblock():
        with tenant_context(clinic_a), connection.cursor() as cursor:
            cursor.execute("SET clinic.ledger_purge = 'on'")
            cursor.execute("DELETE FROM billing_ledgerentry WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM platforms_orderevent WHERE order_id = %s", [order.pk])
            cursor.execute("DELETE FROM platforms_platformorder WHERE id = %s", [order.pk])
            cursor.execute("DELETE FROM billing_visitline WHERE visit_id = %s", [visit.pk])
            cursor.execute("DELETE FROM billing_visit WHERE id = %s", [visit.pk])
            cursor.execute("DELETE FROM billing_payer WHERE patient_id = %s", [patient.pk])
            cursor.execute("DELETE FROM billing_counterparty WHERE reference = %s", [f"platform:{platform.code}"])
            cursor.execute("RESET clinic.ledger_purge")
            patient.delete()
            service.delete()
            category.delete()
            location.delete()
        # Raw: the ORM's delete would look for the orders' tables in the public schema.
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {ProductService._meta.db_table} WHERE product_id = %s", [product.pk])
            cursor.execute(f"DELETE FROM {Product._meta.db_table} WHERE id = %s", [product.pk])
            cursor.execute(f"DELETE FROM {Platform._meta.db_table} WHERE id = %s", [platform.pk])
    connection.set_schema_to_public()


def test_two_desks_redeeming_at_once_make_one_redemption(committed_order, clinic_a, django_db_blocker):
    threads = 6
    data = committed_order

    def redeem(index):
        redemption.redeem_order(data["order"].pk, visit=data["visit"], actor=data["desk"],
                                no_image_reason=f"desk {index}")

    results = at_once(django_db_blocker, [partial(redeem, index) for index in range(threads)], clinic=clinic_a)
    assert results.count("ok") == 1, results
    assert results.count(f"This order is already redeemed (visit #{data['visit'].number}).") == threads - 1, results
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        order = type(data["order"]).objects.get(pk=data["order"].pk)
        assert order.status == "redeemed" and order.events.filter(action="redeemed").count() == 1
        assert ledger.owed_by(order.payer) == D("99.99")
        assert VisitLine.objects.filter(visit=data["visit"], voided_at__isnull=True).count() == 2
