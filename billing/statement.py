"""The patient account statement (seed 001): the timeline and the transactions,
read from the ledger and the patient's records.

Every reader runs a fixed number of queries however long the history is: the
timeline takes the newest rows of each source (one query each) and merges
them; transactions stream the ledger once, with the opening balance summed
in one more query.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from clinic.money import ZERO
from clinic.texts import read_text

from .models import Activity, Bucket, Deposit, Entry, LedgerEntry, PayerKind, Payment, Visit
from .reports import period_bounds

TIMELINE_PAGE = 50


@dataclass
class Event:
    """One thing on the Summary tab's timeline."""

    at: datetime
    kind: str  # visit, payment, refund, appointment, deposit, activity, points
    title: str
    detail: str = ""
    amount: Decimal | None = None
    currency: str = ""
    url: str = ""
    sort_key: int = 0


def timeline(patient, *, before: datetime | None = None, limit: int = TIMELINE_PAGE,
             money: bool = True) -> tuple[list[Event], bool]:
    """The newest ``limit`` events (older than ``before``), and whether there are more.

    Without ``money`` (a role that may not see payments), payments, refunds,
    deposits and points are left out.
    """
    from django.urls import reverse

    from clinic.scheduling.models import Appointment

    def older(queryset, field):
        return queryset.filter(**{f"{field}__lt": before}) if before else queryset

    take = limit + 1
    sources: list[list[Event]] = []
    visits = older(Visit.objects.filter(patient=patient), "opened_at").select_related("practitioner", "location")
    sources.append([
        Event(v.opened_at, "visit", _("Visit %(number)s") % {"number": f"#{v.number}"},
              " · ".join(str(x) for x in (v.location, v.practitioner) if x),
              url=reverse("visit_detail", args=[v.pk]), sort_key=v.pk)
        for v in visits.order_by("-opened_at", "-id")[:take]
    ])
    payments = older(Payment.objects.filter(patient=patient) if money else Payment.objects.none(), "created")
    sources.append([
        Event(p.created, "refund" if p.refund_of_id else "payment",
              (_("Refund %(number)s") if p.refund_of_id else _("Payment %(number)s")) % {"number": f"#{p.number}"},
              p.get_method_display() + (f" · {p.reason_text}" if p.reason_text else ""), p.amount, p.currency,
              sort_key=p.pk)
        for p in payments.order_by("-created", "-id")[:take]
    ])
    appointments = older(Appointment.objects.filter(patient=patient), "starts_at").select_related("practitioner")
    sources.append([
        Event(a.starts_at, "appointment", _("Appointment"), f"{a.practitioner} · {a.get_status_display()}",
              url=reverse("appointment_detail", args=[a.pk]), sort_key=a.pk)
        for a in appointments.order_by("-starts_at", "-id")[:take]
    ])
    deposits = older(Deposit.objects.filter(patient=patient) if money else Deposit.objects.none(), "created")
    sources.append([
        Event(d.created, "deposit", _("Deposit %(number)s") % {"number": f"#{d.number}"},
              d.get_method_display() + (f" · {d.note}" if d.note else ""), d.amount, d.currency, sort_key=d.pk)
        for d in deposits.order_by("-created", "-id")[:take]
    ])
    activities = older(Activity.objects.filter(patient=patient), "created").select_related("assignee")
    sources.append([
        Event(a.created, "activity", f"{a.get_kind_display()}: {a.subject}",
              f"{a.assignee} · {a.get_status_display()}", sort_key=a.pk)
        for a in activities.order_by("-created", "-id")[:take]
    ])
    points = older(LedgerEntry.objects.filter(patient=patient, bucket=Bucket.POINTS) if money
                   else LedgerEntry.objects.none(), "created")
    sources.append([
        Event(e.created, "points", e.get_kind_display(),
              ngettext("%(points)s point", "%(points)s points", abs(e.points))
              % {"points": number_format(e.points, use_l10n=True, force_grouping=True)}, sort_key=e.pk)
        for e in points.order_by("-created", "-id")[:take]
    ])
    merged = heapq.merge(*sources, key=lambda event: (event.at, event.sort_key), reverse=True)
    events = [event for _index, event in zip(range(take), merged, strict=False)]
    return events[:limit], len(events) > limit


@dataclass
class Transaction:
    at: datetime
    kind: str
    label: str
    description: str
    charge: Decimal  # what the patient came to owe
    paid: Decimal  # what the patient paid (or was credited)
    balance: Decimal  # after this row
    payment_id: int | None = None  # a payment that may be refunded from this row
    receipt_id: int | None = None  # the payment or refund whose receipt this row has


def _patient_debt(patient):
    return LedgerEntry.objects.filter(patient=patient, account__kind=PayerKind.PATIENT, bucket=Bucket.DEBT)


def opening_balance(patient, first: date | None) -> Decimal:
    if first is None:
        return ZERO
    starts, _ends = period_bounds(first, first)
    return _patient_debt(patient).filter(created__lt=starts).aggregate(
        total=Coalesce(Sum("amount"), ZERO))["total"]


def transaction_count(patient, first: date | None = None, last: date | None = None) -> int:
    """How many rows ``transactions`` yields for the period (for progress)."""
    entries = _patient_debt(patient)
    if first is not None:
        entries = entries.filter(created__gte=period_bounds(first, first)[0])
    if last is not None:
        entries = entries.filter(created__lt=period_bounds(last, last)[1])
    return entries.count()


def transactions(patient, first: date | None = None, last: date | None = None) -> Iterator[Transaction]:
    """The patient's own account, oldest first, with the running balance (one streamed query)."""
    entries = _patient_debt(patient)
    if first is not None:
        entries = entries.filter(created__gte=period_bounds(first, first)[0])
    if last is not None:
        entries = entries.filter(created__lt=period_bounds(last, last)[1])
    balance = opening_balance(patient, first)
    labels = dict(Entry.choices)
    rows = entries.order_by("created", "id").values_list(
        "created", "kind", "amount", "line__description", "line__quantity", "payment__number", "payment__method",
        "note", "line__void_details",
    )
    from .models import Method

    methods = dict(Method.choices)
    for created, kind, amount, description, quantity, receipt, method, note, void in rows.iterator(chunk_size=2000):
        balance += amount
        yield Transaction(
            at=created, kind=kind, label=labels.get(kind, kind),
            description=_describe(kind, description, quantity, receipt, methods.get(method, method or ""), note, void),
            charge=amount if amount > 0 else ZERO, paid=-amount if amount < 0 else ZERO, balance=balance,
        )


def latest_transactions(patient, limit: int = 200) -> tuple[list[Transaction], bool]:
    """The newest ``limit`` rows of the patient's own account, newest first, each with the
    balance after it (counted back from the current balance: two queries)."""
    from . import ledger
    from .models import Method

    labels, methods = dict(Entry.choices), dict(Method.choices)
    entries = list(
        _patient_debt(patient).order_by("-created", "-id").values_list(
            "created", "kind", "amount", "line__description", "line__quantity", "payment__number",
            "payment__method", "note", "line__void_details", "payment_id", "payment__refund_of_id",
        )[: limit + 1]
    )
    more = len(entries) > limit
    balance = ledger.balance(patient)
    rows = []
    for created, kind, amount, description, quantity, receipt, method, note, void, payment_id, refund_of in \
            entries[:limit]:
        rows.append(Transaction(
            at=created, kind=kind, label=labels.get(kind, kind),
            description=_describe(kind, description, quantity, receipt, methods.get(method, method or ""), note, void),
            charge=amount if amount > 0 else ZERO, paid=-amount if amount < 0 else ZERO, balance=balance,
            payment_id=payment_id if kind == Entry.PAYMENT and not refund_of else None,
            receipt_id=payment_id,
        ))
        balance -= amount
    return rows, more


def _describe(kind, description, quantity, receipt, method_label, note, void_details=None) -> str:
    """An entry of the account as the statement says it; a void's reason is the line's, read in the
    current language when the system voided it (``clinic.texts``)."""
    if kind == Entry.VOID and void_details:
        note = read_text(void_details)
    if description:
        text = description if not quantity or quantity == 1 else f"{description} × {quantity}"
    elif receipt:
        text = f"#{receipt} · {method_label}"
    else:
        text = ""
    if note and kind in (Entry.DISCOUNT, Entry.VOID, Entry.REFUND):
        text = f"{text} · {note}" if text else note
    return text


def summary(patient) -> dict:
    """The figures at the top of the window: balance, deposits held, points, open visits, open tasks."""
    from . import ledger

    return {
        "balance": ledger.balance(patient),
        "deposits": ledger.deposits_held(patient),
        "points": ledger.points_balance(patient),
        "open_visits": Visit.objects.filter(patient=patient, status=Visit.Status.OPEN).count(),
        "open_tasks": Activity.objects.filter(patient=patient, status=Activity.Status.OPEN).count(),
    }

