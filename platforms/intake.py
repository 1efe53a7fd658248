"""Order intake: a platform's signed order messages, stored in the clinic's schema (seed 000).

A platform posts JSON to ``/api/platforms/<code>/orders`` on the public host, signed as the
Standard Webhooks specification says (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``: HMAC-SHA256 over ``id.timestamp.body``). The signature is checked with
the specification's own library against every secret the platform may sign with now (during a
rotation both the new and the retiring one), so any Standard Webhooks sender integrates.

Messages (the clinic is named by its identifier at the platform, ``Enrolment.identifier``)::

    {"type": "order.created", "order_number": "A-1001", "clinic": "alpha-insurer",
     "product": "CHECKUP", "customer": {"name": "Li Wei", "phone": "+86 138 0013 8000"},
     "purchased_at": "2026-12-01T09:30:00+08:00"}
    {"type": "order.refunded", "order_number": "A-1001", "clinic": "alpha-insurer", "reason": "..."}
    {"type": "order.cancelled", "order_number": "A-1001", "clinic": "alpha-insurer", "reason": "..."}

Each message is one transaction. A refusal stores nothing and says why in a machine-readable
``reason`` (``REASONS`` below). The same order number again is stored once and answered with
the first answer's body (also when both arrive at once: the unique constraint decides, inside a
savepoint). A refund or cancellation of an order not yet redeemed gives its unit of inventory
back and cancels the appointment booked for it (its slot is free again), in the same
transaction — unless the patient has come (arrived or in treatment: the desk decides, and the
visit is the patient's to pay); a redeemed one is refused.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_tenants.utils import tenant_context
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from clinic import phones

from . import services
from .catalogue.models import Enrolment, Platform, Product
from .models import OrderSource, OrderStatus, PlatformOrder

# The Standard Webhooks tolerance: a message older or newer than this is refused (replays).
TOLERANCE_SECONDS = 5 * 60
MAX_BODY_BYTES = 64 * 1024
CREATED, REFUNDED, CANCELLED = "order.created", "order.refunded", "order.cancelled"
TYPES = (CREATED, REFUNDED, CANCELLED)

# reason -> HTTP status. The README's refusal table is this one.
REASONS = {
    "unknown_platform": 404,
    "body_too_large": 413,
    "missing_headers": 400,
    "bad_timestamp": 400,
    "stale_timestamp": 401,
    "future_timestamp": 401,
    "bad_signature": 401,
    "malformed_body": 400,
    "unknown_type": 422,
    "invalid_message": 422,
    "unknown_clinic": 422,
    "clinic_not_enrolled": 422,
    "unknown_product": 422,
    "product_not_valid": 422,
    "out_of_stock": 409,
    "unknown_order": 404,
    "already_redeemed": 409,
    "order_closed": 409,
}


class IntakeRefused(Exception):
    """A message refused: nothing was stored. ``reason`` is one of ``REASONS``."""

    def __init__(self, reason: str, detail: str, **extra):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.extra = extra

    @property
    def status(self) -> int:
        return REASONS[self.reason]

    @property
    def body(self) -> dict:
        return {"reason": self.reason, "detail": self.detail, **self.extra}


@dataclass
class IntakeAnswer:
    status: int
    body: dict = field(default_factory=dict)


@dataclass(frozen=True)
class OrderMessage:
    type: str
    order_number: str
    clinic: str
    product: str = ""
    customer_name: str = ""
    customer_phone: str = ""
    purchased_at: datetime | None = None
    reason: str = ""
    raw: dict = field(default_factory=dict)


# --- checking the message -------------------------------------------------------------------


def verify_signature(platform: Platform, body: bytes, headers: Mapping[str, str]) -> None:
    """Refuse a message not signed with one of the platform's current secrets, or outside the
    timestamp tolerance. The library decides the signature; the timestamp is read here first
    only to give a stale and a future message their own reasons."""
    headers = {key.lower(): value for key, value in headers.items()}
    if not all(headers.get(name) for name in ("webhook-id", "webhook-timestamp", "webhook-signature")):
        raise IntakeRefused("missing_headers", "Send webhook-id, webhook-timestamp and webhook-signature.")
    try:
        sent = int(headers["webhook-timestamp"])
    except ValueError:
        raise IntakeRefused("bad_timestamp", "webhook-timestamp must be whole seconds since the epoch.") from None
    now = time.time()
    if sent < now - TOLERANCE_SECONDS:
        raise IntakeRefused("stale_timestamp", "The message is older than 5 minutes.")
    if sent > now + TOLERANCE_SECONDS:
        raise IntakeRefused("future_timestamp", "The message's timestamp is more than 5 minutes ahead.")
    for secret in platform.signing_secrets():
        try:
            Webhook(secret).verify(body, headers, json_parse=False)
            return
        except WebhookVerificationError:
            continue
        except Exception:  # noqa: BLE001 - a stored secret that is not base64: never matches
            continue
    raise IntakeRefused("bad_signature", "No signature matches the platform's current secrets.")


def _text(data: dict, key: str, problems: dict, *, required: bool = True, limit: int = 200) -> str:
    value = data.get(key)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            problems[key] = "required"
        return ""
    if not isinstance(value, str):
        problems[key] = "must be a string"
        return ""
    value = value.strip()
    if len(value) > limit:
        problems[key] = f"at most {limit} characters"
    return value


def parse_message(body: bytes) -> OrderMessage:
    """The message's fields, or a refusal naming every problem at once."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise IntakeRefused("malformed_body", "The body is not JSON.") from None
    if not isinstance(data, dict):
        raise IntakeRefused("malformed_body", "The body must be a JSON object.")
    kind = data.get("type")
    if kind not in TYPES:
        raise IntakeRefused("unknown_type", f"type must be one of {', '.join(TYPES)}.")
    problems: dict[str, str] = {}
    number = _text(data, "order_number", problems, limit=64)
    clinic = _text(data, "clinic", problems, limit=60)
    if kind != CREATED:
        reason = _text(data, "reason", problems, required=False, limit=300)
        if problems:
            raise IntakeRefused("invalid_message", "Some fields are missing or wrong.", fields=problems)
        return OrderMessage(kind, number, clinic, reason=reason, raw=data)
    product = _text(data, "product", problems, limit=40)
    customer = data.get("customer")
    name = phone = ""
    if not isinstance(customer, dict):
        problems["customer"] = "required: an object with name and phone"
    else:
        name = _text(customer, "name", problems)
        phone = _text(customer, "phone", problems, required=False, limit=32)
        for key in ("name", "phone"):
            if key in problems:
                problems[f"customer.{key}"] = problems.pop(key)
    purchased_at = None
    raw_purchase = data.get("purchased_at")
    if not raw_purchase:
        problems["purchased_at"] = "required"
    else:
        try:
            purchased_at = datetime.fromisoformat(str(raw_purchase))
        except ValueError:
            problems["purchased_at"] = "an ISO 8601 date and time with its offset"
        else:
            if purchased_at.tzinfo is None:
                problems["purchased_at"] = "an ISO 8601 date and time with its offset"
                purchased_at = None
            elif purchased_at.timestamp() > time.time() + TOLERANCE_SECONDS:
                problems["purchased_at"] = "in the future"
    if problems:
        raise IntakeRefused("invalid_message", "Some fields are missing or wrong.", fields=problems)
    return OrderMessage(kind, number, clinic, product=product, customer_name=name, customer_phone=phone,
                        purchased_at=purchased_at, raw=data)


# --- the public rows every message reads, kept a few seconds in the process -------------------
# The platform with its secrets, the enrolment with its clinic and the product are the same for
# thousands of messages: each process keeps them LOOKUP_SECONDS (a change saved in this process
# forgets them at once: ``forget_lookups`` on their post_save/post_delete). Another process may
# use a declined enrolment or a retired product that long; a secret rotated there is read again
# before a message is refused for its signature.
LOOKUP_SECONDS = 10
_lookups: dict[tuple, tuple[float, object]] = {}
_lookups_lock = threading.Lock()


def clear_lookups() -> None:
    with _lookups_lock:
        _lookups.clear()


def forget_lookups(**kwargs) -> None:
    """A change to a platform, secret, enrolment, product or clinic: forget what is kept, now and
    again when the change commits (a request in between may have read the rows before it)."""
    clear_lookups()
    transaction.on_commit(clear_lookups)


LOOKUPS_KEPT = 1000  # at most; an unknown code is never kept (a stranger's requests cannot fill it)


def _looked_up(key: tuple, load):
    now = time.monotonic()
    kept = _lookups.get(key)
    if kept is not None and kept[0] > now:
        return kept[1]
    value = load()
    if value is not None:
        with _lookups_lock:
            if len(_lookups) >= LOOKUPS_KEPT:
                _lookups.clear()
            _lookups[key] = (now + LOOKUP_SECONDS, value)
    return value


def _platform(code: str, *, fresh: bool = False) -> Platform | None:
    def load():
        return Platform.objects.filter(code=code, is_active=True).prefetch_related("secrets").first()

    if fresh:
        clear_lookups()
    return _looked_up(("platform", code), load)


def enrolment_for(platform: Platform, identifier: str) -> Enrolment:
    enrolment = _looked_up(("enrolment", platform.pk, identifier), lambda: (
        Enrolment.objects.select_related("clinic").filter(platform=platform, identifier=identifier).first()))
    if enrolment is None or enrolment.clinic.is_template:
        raise IntakeRefused("unknown_clinic", "No clinic has this identifier at the platform.")
    if enrolment.status != Enrolment.Status.APPROVED:
        raise IntakeRefused("clinic_not_enrolled", "The clinic is not enrolled with the platform.")
    return enrolment


def product_for(platform: Platform, code: str, purchased_at: datetime, clinic) -> Product:
    """The platform's product of this code, valid on the day it was bought (the clinic's day)."""
    product = _looked_up(("product", platform.pk, code),
                         lambda: Product.objects.filter(platform=platform, code=code).first())
    if product is None:
        raise IntakeRefused("unknown_product", "The platform sells no product of this code.")
    day = timezone.localtime(purchased_at, _zone(clinic.time_zone)).date()
    if not product.is_valid_on(day):
        raise IntakeRefused("product_not_valid", "The product was not on sale on the day it was bought.")
    return product


def _zone(name: str):
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return ZoneInfo("UTC")


# --- storing ----------------------------------------------------------------------------------


def _created_answer(number: str, product_code: str, received_at: datetime, identifier: str) -> dict:
    """What a stored order is answered with, the first time and every time after: only what
    never changes (a repeat after a cancellation is answered as the first one was)."""
    return {"result": "accepted", "order_number": number, "clinic": identifier, "product": product_code,
            "received_at": received_at.isoformat()}


def _stored_answer(platform: Platform, number: str, identifier: str) -> dict | None:
    stored = (PlatformOrder.objects.filter(platform=platform, number=number)
              .values_list("number", "product__code", "received_at").first())
    return _created_answer(*stored, identifier) if stored else None


def receive_order_message(platform_code: str, body: bytes, headers: Mapping[str, str]) -> IntakeAnswer:
    """Check, verify and store one signed message; one transaction. Raises IntakeRefused."""
    if len(body) > MAX_BODY_BYTES:
        raise IntakeRefused("body_too_large", "The message is larger than 64 KB.")
    with transaction.atomic(durable=True):
        platform = _platform(platform_code)
        if platform is None:
            raise IntakeRefused("unknown_platform", "No platform has this code.")
        try:
            verify_signature(platform, body, headers)
        except IntakeRefused as refused:
            if refused.reason != "bad_signature":
                raise
            # Perhaps a secret rotated in another process since these were read: read them again.
            platform = _platform(platform_code, fresh=True)
            if platform is None:
                raise
            verify_signature(platform, body, headers)
        message = parse_message(body)
        message_id = {key.lower(): value for key, value in headers.items()}["webhook-id"][:100]
        enrolment = enrolment_for(platform, message.clinic)
        with tenant_context(enrolment.clinic):
            if message.type == CREATED:
                return _store_order(platform, enrolment, message, message_id)
            return _close_order(platform, message, enrolment.identifier)


def _store_order(platform: Platform, enrolment: Enrolment, message: OrderMessage, message_id: str) -> IntakeAnswer:
    identifier = enrolment.identifier
    # A repeat is answered as the first time before anything else is judged again.
    stored = _stored_answer(platform, message.order_number, identifier)
    if stored is not None:
        return IntakeAnswer(200, stored)
    product = product_for(platform, message.product, message.purchased_at, enrolment.clinic)
    phone = phones.canonical(message.customer_phone) if message.customer_phone else ""
    try:
        # A savepoint: a second message with the same number, committed while this one ran,
        # makes the insert fail; the stored one is then the answer.
        with transaction.atomic():
            order = PlatformOrder.objects.create(
                platform=platform, product=product, number=message.order_number, kind=product.kind,
                price=product.price, currency=platform.currency, customer_name=message.customer_name,
                customer_phone=phone[:32], purchased_at=message.purchased_at, received_at=timezone.now(),
                source=OrderSource.API, message_id=message_id, payload=message.raw)
            services.take_stock(product)
            services.record_event(order, "received", to_status=OrderStatus.NEW, at=order.received_at)
    except services.OutOfStock:
        raise IntakeRefused("out_of_stock", "The clinic's inventory of this product is used up.") from None
    except IntegrityError:
        stored = _stored_answer(platform, message.order_number, identifier)
        if stored is None:
            raise
        return IntakeAnswer(200, stored)
    return IntakeAnswer(201, _created_answer(order.number, product.code, order.received_at, identifier))


def _close_order(platform: Platform, message: OrderMessage, identifier: str) -> IntakeAnswer:
    target, action = ((OrderStatus.REFUNDED, "refunded") if message.type == REFUNDED
                      else (OrderStatus.CANCELLED, "cancelled"))
    order = (PlatformOrder.objects.select_for_update(of=("self",))
             .filter(platform=platform, number=message.order_number).first())
    if order is None:
        raise IntakeRefused("unknown_order", "The clinic has no order of this number from the platform.")
    answer = {"result": target, "order_number": order.number, "clinic": identifier}
    if order.status == target:
        return IntakeAnswer(200, answer)
    if order.status == OrderStatus.REDEEMED:
        raise IntakeRefused("already_redeemed", "The order was redeemed at the clinic: it cannot be "
                            f"{action}.")
    if order.status not in (OrderStatus.NEW, OrderStatus.CONFIRMED):
        raise IntakeRefused("order_closed", f"The order is already {order.status}.", status=order.status)
    # The platform's own words, if it gave a reason (the history names the platform as who).
    note = message.reason[:300]
    services.move(order, target, action=action, note=note)
    order.closed_reason = note
    order.save(update_fields=["closed_reason"])
    _free_the_slot(order, note)
    return IntakeAnswer(200, answer)


def _free_the_slot(order: PlatformOrder, note: str) -> None:
    """The appointment booked for a closed order is cancelled with the platform's reason, unless
    the patient has come (arrived, in treatment or treated)."""
    from clinic.scheduling import services as scheduling
    from clinic.scheduling.models import Appointment
    from clinic.scheduling.states import TRANSITIONS

    cancellable, _target, _label = TRANSITIONS["cancel"]  # the state machine's word (an arrival is not)
    appointment = Appointment.objects.filter(pk=order.appointment_id).first() if order.appointment_id else None
    if appointment is not None and appointment.status in cancellable:
        reason = " · ".join(part for part in (order.platform.name, order.number, note) if part)
        scheduling.change_status_within(appointment, "cancel", actor=None, reason=reason[:200])
