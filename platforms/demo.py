"""The demo's two platforms (seed 000): an insurer's benefits app and Alipay, their products
of both kinds, the demo clinic enrolled with both and its channel inventory (idempotent).
Orders are seeded with the order flow."""

from __future__ import annotations

import base64
from datetime import UTC, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from clinic.demo_clock import demo_time

from .catalogue.models import Enrolment, Platform, Product, ProductService, SigningSecret

# code, name, the demo clinic's identifier at the platform
DEMO_PLATFORMS = [
    ("insurer", "Insurer benefits app", "PA-DEMO-0001",
     "Insurer Health Services Co., Ltd.\nTax number 91310000MA1FL0000X", "Insurer Health Services\nSettlement desk\n1000 Lujiazui Ring Road, Shanghai"),
    ("alipay", "Alipay", "2088-DEMO-01", "Alipay (Hangzhou) Information Technology Co., Ltd.",
     "Alipay settlement team\n556 Xixi Road, Hangzhou"),
]
# platform code, product code, name, kind, price, {service code: quantity}
DEMO_PRODUCTS = [
    ("insurer", "PA-ORAL-CHECK", "Oral check-up package", "package", "180.00", {"CON-08": 1, "DIA-01": 1}),
    ("insurer", "PA-CLEAN", "Cleaning package", "package", "260.00", {"DEN-01": 1, "DEN-08": 1}),
    ("alipay", "ALI-CLEAN", "Cleaning and check-up package", "package", "298.00", {"DEN-01": 1, "CON-08": 1}),
    ("alipay", "ALI-WISDOM-200", "Wisdom-tooth extraction voucher, 200", "cash_voucher", "200.00",
     {"DEN-06": 1, "DIA-01": 1}),
]
DEMO_STOCK = 50
# Known secrets (24 bytes, as Standard Webhooks wants), so the README's signed example order
# can be pasted as it is against the demo. Never a real platform's: the operator's console
# makes those at random and shows them once.
DEMO_SECRETS = {code: "whsec_" + base64.b64encode(raw).decode("ascii")
                for code, raw in (("insurer", b"demo-insurer-secret-2026"), ("alipay", b"demo-alipay-secret-2026!"))}


def seed_platforms(clinic) -> None:
    """Both platforms with their products, the demo clinic approved at each with an inventory
    of 50 per product; run again, it adds only what is missing."""
    today = timezone.localdate()
    with schema_context("public"), transaction.atomic():
        platforms = {}
        for code, name, _identifier, invoice, address in DEMO_PLATFORMS:
            platform, created = Platform.objects.get_or_create(
                # The platforms sell in the demo clinic's currency (a clinic sells through
                # platforms of its own currency).
                code=code, defaults={"name": name, "currency": clinic.currency, "invoice_details": invoice,
                                     "mailing_address": address})
            if created or not platform.secrets.exists():
                SigningSecret.objects.create(platform=platform, secret=DEMO_SECRETS[code])
            platforms[code] = platform
        for code, product_code, name, kind, price, contents in DEMO_PRODUCTS:
            product, created = Product.objects.get_or_create(
                platform=platforms[code], code=product_code,
                defaults={"name": name, "kind": kind, "valid_from": today - timedelta(days=365),
                          "settlement_price": Decimal(price) if kind == "package" else None,
                          "face_value": Decimal(price) if kind == "cash_voucher" else None})
            if created:
                for service_code, quantity in contents.items():
                    ProductService.objects.create(product=product, service_code=service_code, quantity=quantity)
        for code, _name, identifier, _invoice, _address in DEMO_PLATFORMS:
            platform = platforms[code]
            if platform.currency != clinic.currency:
                continue  # a clinic sells through platforms of its own currency (another demo clinic's)
            if Enrolment.objects.filter(platform=platform, identifier=identifier).exclude(clinic=clinic).exists():
                identifier = f"{identifier}-{clinic.slug}"[:60]  # a second demo clinic on the same server
            Enrolment.objects.get_or_create(
                clinic=clinic, platform=platform,
                defaults={"status": Enrolment.Status.APPROVED, "identifier": identifier,
                          "note": "Demo clinic", "applied_by": "Mihaela Manager", "decided_at": timezone.now()})
        products = list(Product.objects.filter(platform__code__in=[p[0] for p in DEMO_PLATFORMS],
                                               platform__enrolments__clinic=clinic,
                                               platform__enrolments__status=Enrolment.Status.APPROVED))
    from .models import ChannelStock

    with tenant_context(clinic), transaction.atomic():
        for product in products:
            ChannelStock.objects.get_or_create(product=product, defaults={"available": DEMO_STOCK})


# --- the demo's orders, in every status (seed 000) ------------------------------------------------

DEMO_CUSTOMERS = [
    ("王芳", "+86 138 0013 8001"), ("李娜", "+86 139 1024 5566"), ("张伟", "+86 137 2211 3344"),
    ("刘洋", "+86 136 5566 7788"), ("陈静", "+86 135 8899 0011"), ("Ana Ciobanu", "+373 69 123 456"),
    ("Ion Rusu", "+373 79 555 010"), ("赵磊", "+86 186 1234 5678"), ("孙丽", "+86 188 7654 3210"),
]




def _send(clinic, platform_code: str, message: dict) -> None:
    """Post a message as the platform would: signed with its demo secret, through the intake."""
    import json
    import uuid
    from datetime import datetime

    from django.db import connection
    from standardwebhooks.webhooks import Webhook

    from .intake import receive_order_message

    body = json.dumps(message, ensure_ascii=False).encode()
    message_id, now = f"msg_{uuid.uuid4().hex}", datetime.now(UTC)
    headers = {"webhook-id": message_id, "webhook-timestamp": str(int(now.timestamp())),
               "webhook-signature": Webhook(DEMO_SECRETS[platform_code]).sign(message_id, now, body)}
    connection.set_schema_to_public()
    answer = receive_order_message(platform_code, body, headers)
    connection.set_tenant(clinic)
    if answer.status >= 300:
        raise RuntimeError(f"the demo's order was refused: {answer.body}")


def seed_platform_orders(clinic) -> dict[str, int]:
    """Orders in every status, once: last three months' redeemed (some with an X-ray, some
    without, a voucher paying part of an extraction), and this month's awaiting confirmation
    (one with the phone of a patient of another name), confirmed, a no-show, cancelled,
    refunded and redeemed. Made through the real paths: signed messages, confirmation,
    arrival, the visit and redemption, each at its own time."""
    from django.contrib.auth.models import Group
    from django.db import connection

    from billing import services as billing
    from clinic.accounts.models import User
    from clinic.patients.models import Patient
    from clinic.periods import clinic_today, clinic_zone, previous_month
    from clinic.scheduling.availability import next_free_slots
    from clinic.scheduling.services import change_status

    from . import orders as order_work
    from . import redemption
    from .models import OrderStatus, PlatformOrder

    connection.set_tenant(clinic)
    if PlatformOrder.objects.exists():
        return {}
    desk = User.objects.filter(groups__in=Group.objects.filter(name="front_desk")).first()
    zone = clinic_zone()
    today = clinic_today()
    from datetime import datetime, time

    customers = iter(DEMO_CUSTOMERS * 20)
    counter = iter(range(1, 10_000))
    from .catalogue.models import Enrolment

    enrolments = {e.platform.code: e.identifier for e in Enrolment.objects.filter(
        clinic_id=clinic.pk, status=Enrolment.Status.APPROVED).select_related("platform")}
    products = {p.code: p for p in Product.objects.filter(platform__code__in=list(enrolments))}
    if not {"PA-ORAL-CHECK", "PA-CLEAN", "ALI-CLEAN", "ALI-WISDOM-200"} <= set(products):
        return {}  # the demo's platforms sell in another currency than this clinic's

    def order(product_code: str, moment: datetime, *, name_phone=None) -> PlatformOrder:
        product = products[product_code]
        name, phone = name_phone or next(customers)
        number = f"{'INS' if product.platform.code == 'insurer' else 'ALI'}-{moment:%Y%m%d}-{next(counter):04d}"
        with demo_time(moment):
            _send(clinic, product.platform.code, {
                "type": "order.created", "order_number": number, "clinic": enrolments[product.platform.code],
                "product": product_code, "customer": {"name": name, "phone": phone},
                "purchased_at": (moment - timedelta(hours=2)).isoformat()})
        return PlatformOrder.objects.get(platform=product.platform, number=number)

    def confirm(placed: PlatformOrder, moment: datetime, *, days_ahead: int = 1) -> PlatformOrder:
        duration = timedelta(minutes=sum(s.duration_minutes for s in order_work.order_services(placed)) or 30)
        start = datetime.combine(moment.date() + timedelta(days=days_ahead), time(9), tzinfo=zone)
        slot = next_free_slots(duration=duration, start=start, days=10, limit=1)[0]
        with demo_time(moment):
            where = {"location": location_id_slot(slot), "practitioner": slot.practitioner, "starts_at": slot.starts}
            try:
                order_work.confirm_order(placed, actor=desk, **where)
            except order_work.SamePersonFound as found:  # a returning customer: bound to their record
                order_work.confirm_order(placed, actor=desk, patient=found.patients[0], **where)
        placed.refresh_from_db()
        return placed

    def redeem(placed: PlatformOrder, *, with_image: bool) -> None:
        appointment = placed.appointment
        moment = appointment.starts_at + timedelta(minutes=5)
        with demo_time(moment):
            change_status(appointment, "arrive", actor=desk)
            visit = billing.open_visit(patient=placed.patient, location=appointment.location, actor=desk,
                                       appointment=appointment)
            if with_image:
                redemption.attach_image(placed, _xray_upload(), actor=desk)
                redemption.redeem_order(placed, visit=visit, actor=desk)
            else:
                redemption.redeem_order(placed, visit=visit, actor=desk,
                                        no_image_reason="The panoramic X-ray was taken at the imaging centre")
            from billing import ledger

            due = ledger.visit_due(visit, billing.patient_account(placed.patient))
            if due > 0:
                billing.take_payment(patient=placed.patient, visit=visit, method="card", amount=due, actor=desk)
            billing.close_visit(visit, actor=desk)

    made = {"redeemed": 0}
    month = previous_month(previous_month(previous_month(today.replace(day=1))))
    while month < today.replace(day=1):
        for index, code in enumerate(["PA-ORAL-CHECK", "PA-CLEAN", "ALI-CLEAN", "ALI-WISDOM-200", "PA-ORAL-CHECK"]):
            moment = datetime.combine(month + timedelta(days=3 + index * 4), time(8, 30), tzinfo=zone)
            placed = confirm(order(code, moment), moment)
            redeem(placed, with_image=index % 2 == 0)
            made["redeemed"] += 1
        month = (month + timedelta(days=32)).replace(day=1)

    now = timezone.now()
    # This month: waiting for the front desk, one of them with the phone of a patient of another name.
    shared = Patient.objects.exclude(phone="").order_by("id").first()
    for code in ("PA-ORAL-CHECK", "ALI-CLEAN"):
        order(code, now - timedelta(hours=3))
    if shared is not None:
        order("PA-CLEAN", now - timedelta(hours=1), name_phone=("周敏", shared.phone))
    # Confirmed for the coming days.
    confirm(order("PA-CLEAN", now - timedelta(days=1)), now - timedelta(days=1), days_ahead=2)
    confirm(order("ALI-WISDOM-200", now - timedelta(days=1)), now - timedelta(days=1), days_ahead=3)
    # A no-show: booked for yesterday, did not come (re-confirm or cancel it).
    missed = confirm(order("PA-ORAL-CHECK", now - timedelta(days=4)), now - timedelta(days=4), days_ahead=3)
    with demo_time(missed.appointment.ends_at + timedelta(minutes=30)):
        change_status(missed.appointment, "no_show", actor=desk)
    # Cancelled by the clinic, refunded by the platform.
    with demo_time(now - timedelta(days=2)):
        order_work.cancel_order(order("ALI-CLEAN", now - timedelta(days=2)), actor=desk,
                                reason="The patient moved to another city")
    refunded = order("PA-ORAL-CHECK", now - timedelta(days=2))
    with demo_time(now - timedelta(days=1)):
        _send(clinic, "insurer", {"type": "order.refunded", "order_number": refunded.number,
                                  "clinic": enrolments["insurer"], "reason": "Refunded at the customer's request"})
    made.update({status: PlatformOrder.objects.filter(status=status).count() for status in OrderStatus.values})
    return made


def location_id_slot(slot):
    """``confirm_order``'s location argument from a free slot."""
    from clinic.models import Location

    return Location.objects.get(pk=slot.location_id)


def _xray_upload():
    """A small greyscale PNG standing in for a panoramic X-ray, through the one checked path."""
    import io

    from PIL import Image

    from clinic.uploads import PURPOSES, CheckedUpload, check_content

    image = Image.new("L", (320, 160), color=40)
    for x in range(320):
        image.putpixel((x, 80 + int(30 * ((x / 160) - 1) ** 2)), 220)
    out = io.BytesIO()
    image.save(out, format="PNG")
    content = out.getvalue()
    return CheckedUpload(content=content, kind=check_content(content, PURPOSES["xray"]),
                         original_name="panoramic.png")
