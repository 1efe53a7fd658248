"""The ledger: the one place postings are written, and the sums everything else reads.

Double entry (DESIGN.md, "the spine"; django-hordak's model): every posting is a
``Posting`` with two or more legs (``LedgerEntry``) whose amounts, each multiplied
by its account's side (+1 debit, −1 credit), sum to zero. The database refuses an
unbalanced posting at commit and any change or deletion of a leg (the triggers
of migration ``billing.0006``).

A service posts what happens on the payer's (or counterparty's) account; the
leg on the clinic's own books is derived here, in ``counter_leg``, from the
entry alone — a charge against revenue (or the platform clearing account), a
payment or deposit against the till of its method, a write-off against
write-offs. Entries that balance each other (a payment from a deposit: the
debt and the deposit go down together) are posted together inside
``posting()``.

Sign conventions, per bucket of a payer account (unchanged from the patient's
point of view):
- ``debt``: a charge adds what the payer owes; a discount, a voided line and a
  payment take it away; a refund adds it back. Positive: the payer owes.
- ``deposit``: money received ahead (+), used for a visit (−), a use refunded
  back into the deposit (+), returned to the patient (−). Never below zero.
- ``points``: the entry's ``points`` (its amount is zero).
- ``payable`` (counterparties): what the clinic owes it (+), e.g. commission.
A book leg's amount is the increase of that account on its own side: revenue
+100 for a charge of 100, the till +100 for 100 paid in cash.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from clinic.money import ZERO

from .models import (
    BOOK_SIDE,
    BUCKET_SIDE,
        PAYER_RULES,
    Book,
    Bucket,
    Counterparty,
    Entry,
    LedgerEntry,
    Method,
    Payer,
    PayerKind,
    Posting,
)

# --- writing ---------------------------------------------------------------------------------

_current: contextvars.ContextVar[Posting | None] = contextvars.ContextVar("ledger_posting", default=None)
# The visits whose charges (a charge, a discount, a voided line) the current posting changed.
_charged_visits: contextvars.ContextVar[set | None] = contextvars.ContextVar("ledger_charged_visits", default=None)

# What an upper app posts with a change of a visit's charges, in the same posting: called
# once per posting with the ids of the visits whose charges it changed (sorted), inside its
# transaction, before the posting closes (e.g. partners: the commission a booking earns on
# what its visit charged). Filled from the apps' ready(); billing never names them.
ChargesChanged = Callable[[list[int]], None]
CHARGE_LISTENERS: list[ChargesChanged] = []


def on_charges_changed(listener: ChargesChanged) -> None:
    """Register ``listener`` (once) to post along with every change of a visit's charges."""
    if listener not in CHARGE_LISTENERS:
        CHARGE_LISTENERS.append(listener)

TILL = {Method.CASH: Book.TILL_CASH, Method.CARD: Book.TILL_CARD, Method.TRANSFER: Book.TILL_TRANSFER}
REVENUE_BOOK = {PayerKind.BARTER_POLICY: Book.REVENUE_BARTER, PayerKind.BARTER_COMPANY: Book.REVENUE_BARTER,
                PayerKind.PARTNER: Book.REVENUE_PARTNER}


@contextmanager
def posting(kind: str, *, actor=None) -> Iterator[Posting]:
    """Group the entries posted inside into one balanced posting (one transaction)."""
    if _current.get() is not None:  # already inside one: its legs join it
        yield _current.get()
        return
    with transaction.atomic():
        record = Posting.objects.create(kind=kind, actor=actor, created=timezone.now())
        token = _current.set(record)
        visits_token = _charged_visits.set(set())
        try:
            yield record
            visits = _charged_visits.get()
            if visits:  # their legs join this posting: one posting per event
                for listener in list(CHARGE_LISTENERS):
                    listener(sorted(visits))
        finally:
            _charged_visits.reset(visits_token)
            _current.reset(token)


def post(
    *,
    bucket: str,
    kind: str,
    currency: str,
    account: Payer | None = None,
    counterparty: Counterparty | None = None,
    amount: Decimal = ZERO,
    points: int = 0,
    method: str = "",
    visit=None,
    line=None,
    payment=None,
    deposit=None,
    receipt=None,
    allocation=None,
    actor=None,
    note: str = "",
    against: str | None = None,
) -> LedgerEntry:
    """Post an entry on a payer's or counterparty's account, and its leg on the clinic's books.

    ``against`` names the book of the other leg where ``counter_leg`` cannot know it (a
    counterparty's own entries); entries balanced by another entry of the same posting
    have none.
    """
    with posting(kind, actor=actor) as record:
        common = {"posting": record, "kind": kind, "currency": currency, "method": method, "visit": visit,
                  "line": line, "payment": payment, "deposit": deposit, "receipt": receipt,
                  "allocation": allocation, "actor": actor, "note": note[:200], "created": record.created}
        entry = LedgerEntry.objects.create(
            account=account, counterparty=counterparty, bucket=bucket, side=BUCKET_SIDE[bucket], amount=amount,
            points=points, patient_id=account.patient_id if account is not None else None, **common)
        if visit is not None and account is not None and bucket == Bucket.DEBT and kind in USE_KINDS:
            _charged_visits.get().add(visit.pk)
        book, book_amount = against, None
        if book is None and account is not None:
            book, book_amount = counter_leg(account.kind, bucket, kind, method, amount)
        if book:
            if book_amount is None:
                book_amount = -amount * BUCKET_SIDE[bucket] * BOOK_SIDE[book]
            # The book leg keeps the patient it came from (drilling down, a clinic's clean-up).
            LedgerEntry.objects.create(book=book, bucket=Bucket.BOOK, side=BOOK_SIDE[book], amount=book_amount,
                                       patient_id=entry.patient_id, **common)
        return entry


def move_between_books(kind: str, *, source: str, target: str, amount: Decimal, currency: str, actor=None,
                       note: str = "") -> None:
    """A posting between two of the clinic's own books (a consumables voucher spent: the
    voucher held becomes consumables bought)."""
    with posting(kind, actor=actor) as record:
        common = {"posting": record, "kind": kind, "currency": currency, "bucket": Bucket.BOOK, "actor": actor,
                  "note": note[:200], "created": record.created}
        LedgerEntry.objects.create(book=source, side=BOOK_SIDE[source], amount=-amount * BOOK_SIDE[source], **common)
        LedgerEntry.objects.create(book=target, side=BOOK_SIDE[target], amount=amount * BOOK_SIDE[target], **common)


def counter_leg(payer_kind: str, bucket: str, kind: str, method: str, amount: Decimal) -> tuple[str, Decimal]:
    """The clinic's book on the other side of a payer's entry, and its amount; ("", 0) when
    another entry of the same posting balances it (a deposit used, points).

    Decided here only: a charge (its discount, its void) is revenue unless the payer's rules
    say it is not (a platform order: the platform settlement clearing account, seed 000);
    money moves through the till of its method; club credit spent is an expense; a
    write-off goes to write-offs.
    """
    if bucket == Bucket.DEBT and kind in (Entry.CHARGE, Entry.DISCOUNT, Entry.VOID):
        if PAYER_RULES[payer_kind].counts_as_revenue:
            book = REVENUE_BOOK.get(payer_kind, Book.REVENUE)
        else:
            book = Book.PLATFORM_CLEARING
        return book, amount  # the payer owes +x, the clinic earns +x
    if bucket == Bucket.DEBT and kind in (Entry.PAYMENT, Entry.REFUND):
        if method in TILL:
            return TILL[method], -amount
        if method == Method.LOYALTY:
            return Book.CLUB_CREDIT, -amount
        if method == Method.PLATFORM_SETTLEMENT:
            return Book.PLATFORM_RECEIVABLE, -amount
        # From a deposit: the deposit's own entry balances it. A cash voucher: the coverage's
        # charge of the same posting does (``services.pay_from_coverage``); never the till.
        return "", ZERO
    if bucket == Bucket.DEBT and kind == Entry.WRITE_OFF:
        return Book.WRITE_OFF, -amount
    if bucket == Bucket.DEPOSIT and kind in (Entry.DEPOSIT_RECEIVED, Entry.DEPOSIT_REFUNDED):
        return TILL[method], amount
    return "", ZERO


# --- a patient's account (as the patient's screens have always read it) ----------------------


def _sum(queryset, field: str = "amount"):
    zero = 0 if field == "points" else ZERO
    return queryset.aggregate(total=Coalesce(Sum(field), zero))["total"]


def balance(patient) -> Decimal:
    """What the patient owes the clinic on their own account (negative: in credit)."""
    return _sum(
        LedgerEntry.objects.filter(
            patient=patient, account__kind=PayerKind.PATIENT, bucket=Bucket.DEBT
        )
    )


def visit_due(visit, account: Payer) -> Decimal:
    """What ``account`` still owes for ``visit``."""
    return _sum(LedgerEntry.objects.filter(visit=visit, account=account, bucket=Bucket.DEBT))


def deposit_remaining(deposit) -> Decimal:
    return _sum(LedgerEntry.objects.filter(deposit=deposit, bucket=Bucket.DEPOSIT))


def deposits_held(patient) -> Decimal:
    return _sum(LedgerEntry.objects.filter(patient=patient, bucket=Bucket.DEPOSIT))


def points_balance(patient) -> int:
    return _sum(LedgerEntry.objects.filter(patient=patient, bucket=Bucket.POINTS), "points")


def with_remaining(deposits):
    """Deposits annotated with ``remaining`` (one subquery, no query per deposit)."""
    from django.db.models import DecimalField, OuterRef, Subquery, Value

    remaining = (
        LedgerEntry.objects.filter(deposit=OuterRef("pk"), bucket=Bucket.DEPOSIT)
        .order_by()
        .values("deposit")
        .annotate(total=Sum("amount"))
        .values("total")
    )
    return deposits.annotate(
        remaining=Coalesce(Subquery(remaining), Value(ZERO), output_field=DecimalField(max_digits=14,
                                                                                         decimal_places=2))
    )


def dues_by_visit(patient) -> dict[int, Decimal]:
    """What the patient's own account still owes per visit (visits with entries only)."""
    rows = (
        LedgerEntry.objects.filter(patient=patient, account__kind=PayerKind.PATIENT, bucket=Bucket.DEBT,
                                   visit__isnull=False)
        .order_by()
        .values("visit")
        .annotate(due=Sum("amount"))
    )
    return {row["visit"]: row["due"] for row in rows}


# --- coverages ----------------------------------------------------------------------------------


USE_KINDS = (Entry.CHARGE, Entry.DISCOUNT, Entry.VOID)


@dataclass(frozen=True)
class CoverageUse:
    spent: Decimal = ZERO  # charged to it ever (charges less discounts and voided lines)
    period_amount: Decimal = ZERO  # of which in the period asked for
    period_lines: int = 0  # lines charged in the period


def coverage_use(payer_ids, *, starts: datetime | None = None, ends: datetime | None = None
                 ) -> dict[int, CoverageUse]:
    """What each coverage payer has spent (a barter policy's "spent"), and in a period: the
    one answer the policy page, the barter list, the barter report and the write-off read.
    One query for any number of payers."""
    in_period = Q()
    if starts is not None:
        in_period &= Q(created__gte=starts)
    if ends is not None:
        in_period &= Q(created__lt=ends)
    from django.db.models import Count

    rows = (LedgerEntry.objects.filter(account_id__in=list(payer_ids), bucket=Bucket.DEBT, kind__in=USE_KINDS)
            .order_by().values("account_id")
            .annotate(spent=Sum("amount"), period_amount=Coalesce(Sum("amount", filter=in_period), ZERO),
                      period_lines=Count("id", filter=in_period & Q(kind=Entry.CHARGE))))
    return {row["account_id"]: CoverageUse(row["spent"], row["period_amount"], row["period_lines"]) for row in rows}


def spent_by(payer: Payer | int) -> Decimal:
    pk = payer.pk if isinstance(payer, Payer) else payer
    return coverage_use([pk]).get(pk, CoverageUse()).spent


def charged_quantity(payer: Payer | int, service) -> int:
    """How many of ``service`` a coverage has been charged for (a split line counts the whole
    quantity it stands for), less the voided ones: a public person's plan use."""
    from django.db.models import Case, IntegerField, Value, When

    quantity = Coalesce("line__split_quantity", "line__quantity")
    total = LedgerEntry.objects.filter(
        account=payer, bucket=Bucket.DEBT, kind__in=[Entry.CHARGE, Entry.VOID], line__service=service,
        line__split_of__isnull=True,
    ).aggregate(total=Coalesce(Sum(Case(When(kind=Entry.VOID, then=-quantity), default=quantity,
                                        output_field=IntegerField())), Value(0)))["total"]
    return int(total)


def owed_by(payer: Payer | int) -> Decimal:
    """What a coverage payer still owes (its debt)."""
    return _sum(LedgerEntry.objects.filter(account=payer, bucket=Bucket.DEBT))


# --- counterparties -------------------------------------------------------------------------------


def _of(counterparty) -> Q:
    """The legs that belong to a counterparty: its own, and its coverages'."""
    return Q(counterparty=counterparty) | Q(account__counterparty=counterparty)


@dataclass(frozen=True)
class CounterpartyBalance:
    owes: Decimal  # what it owes the clinic (its coverages' debt, less money received)
    owed: Decimal  # what the clinic owes it (commission)

    @property
    def net(self) -> Decimal:
        return self.owes - self.owed


def counterparty_balance(counterparty, *, at: datetime | None = None) -> CounterpartyBalance:
    """What the counterparty owes and is owed at ``at`` (now when None): one query, two index
    scans (its coverages' debt from the debt index alone, its own legs by counterparty) added up;
    coverages never hold payable legs."""
    pk = counterparty.pk if isinstance(counterparty, Counterparty) else counterparty
    before = "AND created < %(at)s" if at is not None else ""
    sql = f"""
        SELECT COALESCE((SELECT SUM(amount) FROM {LedgerEntry._meta.db_table}
                          WHERE account_id IN (SELECT id FROM {Payer._meta.db_table} WHERE counterparty_id = %(pk)s)
                            AND bucket = 'debt' {before}), 0)
             + COALESCE(SUM(amount) FILTER (WHERE bucket = 'debt'), 0),
               COALESCE(SUM(amount) FILTER (WHERE bucket = 'payable'), 0)
          FROM {LedgerEntry._meta.db_table}
         WHERE counterparty_id = %(pk)s AND bucket IN ('debt', 'payable') {before}
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, {"pk": pk, "at": at})
        owes, owed = cursor.fetchone()
    return CounterpartyBalance(owes=owes, owed=owed)


AGEING_BANDS = ((0, 30), (31, 60), (61, 90), (91, None))


@dataclass
class Receivable:
    counterparty: Counterparty
    owes: Decimal = ZERO
    owed: Decimal = ZERO
    bands: list[Decimal] = field(default_factory=lambda: [ZERO] * len(AGEING_BANDS))

    @property
    def net(self) -> Decimal:
        return self.owes - self.owed


# Ageing by open items: what each coverage still owes for each visit (and the counterparty's
# own debt) is aged from the item's first entry; money received and not yet allocated (the
# counterparty's own negative debt) pays the oldest items first. One statement, whatever the
# number of entries: the items are grouped straight from the ledger (a hash aggregate over
# the coverages' legs, found by account, and the counterparty's own, found by its index), so
# the entries are read once and never sorted or materialised; the window sums run over the
# items only.
_AGEING_SQL = """
WITH item AS (
    SELECT p.counterparty_id, SUM(e.amount) AS due, MIN(e.created) AS since
      FROM {payer} p JOIN {entry} e ON e.account_id = p.id
     WHERE p.counterparty_id = ANY(%(ids)s) AND e.bucket = 'debt' AND e.created < %(at)s
     GROUP BY p.counterparty_id, e.account_id, e.visit_id
    UNION ALL
    -- The counterparty's own entries (transfers and their allocations): what it holds unallocated.
    SELECT e.counterparty_id, SUM(e.amount), MIN(e.created)
      FROM {entry} e
     WHERE e.counterparty_id = ANY(%(ids)s) AND e.bucket = 'debt' AND e.created < %(at)s
     GROUP BY e.counterparty_id
), payable AS (
    SELECT e.counterparty_id, SUM(e.amount) AS owed
      FROM {entry} e
     WHERE e.counterparty_id = ANY(%(ids)s) AND e.bucket = 'payable' AND e.created < %(at)s
     GROUP BY e.counterparty_id
), owes AS (
    SELECT counterparty_id, SUM(due) AS owes FROM item GROUP BY 1
), open_item AS (
    SELECT counterparty_id, due, since,
           SUM(due) OVER (PARTITION BY counterparty_id ORDER BY since DESC
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS newer_and_this,
           SUM(due) OVER (PARTITION BY counterparty_id) AS all_open
      FROM item WHERE due > 0
), credit AS (
    SELECT counterparty_id, -SUM(due) AS credit FROM item WHERE due < 0 GROUP BY 1
), aged AS (
    -- What is left of each item once the credit has paid the oldest ones.
    SELECT o.counterparty_id, o.since,
           GREATEST(LEAST(o.due, o.all_open - COALESCE(c.credit, 0) - (o.newer_and_this - o.due)), 0) AS left_open
      FROM open_item o LEFT JOIN credit c ON c.counterparty_id = o.counterparty_id
)
SELECT cp.id,
       COALESCE((SELECT owes FROM owes WHERE owes.counterparty_id = cp.id), 0),
       COALESCE((SELECT owed FROM payable WHERE payable.counterparty_id = cp.id), 0),
       COALESCE(SUM(a.left_open) FILTER (WHERE a.since >= %(d30)s), 0),
       COALESCE(SUM(a.left_open) FILTER (WHERE a.since < %(d30)s AND a.since >= %(d60)s), 0),
       COALESCE(SUM(a.left_open) FILTER (WHERE a.since < %(d60)s AND a.since >= %(d90)s), 0),
       COALESCE(SUM(a.left_open) FILTER (WHERE a.since < %(d90)s), 0)
  FROM {counterparty} cp LEFT JOIN aged a ON a.counterparty_id = cp.id
 WHERE cp.id = ANY(%(ids)s)
 GROUP BY cp.id
"""


def receivables(counterparties=None, *, on: date | None = None, zone=None) -> list[Receivable]:
    """Every counterparty (or those given) with what it owes and is owed at the end of ``on``
    (today), and its open debt aged 0–30, 31–60, 61–90 and over 90 days. One statement."""
    from .models import Counterparty

    zone = zone or timezone.get_current_timezone()
    on = on or timezone.localdate(timezone=zone)
    ends = datetime.combine(on + timedelta(days=1), time.min, tzinfo=zone)
    items = list(counterparties if counterparties is not None else Counterparty.objects.all())
    by_id = {item.pk: item for item in items}
    if not by_id:
        return []
    day = datetime.combine(on, time.min, tzinfo=zone)
    params = {"at": ends, "ids": list(by_id), "d30": day - timedelta(days=30), "d60": day - timedelta(days=60),
              "d90": day - timedelta(days=90)}
    sql = _AGEING_SQL.format(entry=LedgerEntry._meta.db_table, payer=Payer._meta.db_table,
                             counterparty=Counterparty._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    result = []
    for pk, owes, owed, *bands in rows:
        result.append(Receivable(counterparty=by_id[pk], owes=owes, owed=owed, bands=list(bands)))
    result.sort(key=lambda item: (item.counterparty.name.casefold(), item.counterparty.pk))
    return result


def counterparty_entries(counterparty, *, starts: datetime, ends: datetime):
    """A counterparty's entries of a period, oldest first (its statement's lines)."""
    return (LedgerEntry.objects.filter(_of(counterparty), bucket__in=[Bucket.DEBT, Bucket.PAYABLE],
                                       created__gte=starts, created__lt=ends)
            .select_related("account__patient", "visit", "line", "receipt")
            .order_by("created", "id"))


def open_items(counterparty) -> list[dict]:
    """What each of the counterparty's coverages still owes, per visit, oldest first."""
    from django.db.models import Min

    rows = (LedgerEntry.objects.filter(account__counterparty=counterparty, bucket=Bucket.DEBT)
            .order_by().values("account_id", "visit_id").annotate(due=Sum("amount"), since=Min("created")))
    return sorted((row for row in rows if row["due"] > 0), key=lambda row: (row["since"], row["account_id"]))


# --- what a counterparty's bookings charged and earned (a partner's account and statistics) ---------


def _booked_use(appointment):
    """The legs of what an appointment's visit charged for the services booked on the
    appointment, whoever pays (charges, less discounts and voided lines)."""
    from django.db.models import Exists, OuterRef

    from clinic.scheduling.models import AppointmentService

    booked = AppointmentService.objects.filter(appointment_id=OuterRef("visit__appointment_id"),
                                               service_id=OuterRef("line__service_id"))
    return LedgerEntry.objects.filter(visit__appointment_id=appointment, bucket=Bucket.DEBT,
                                      kind__in=USE_KINDS).filter(Exists(booked))


def booked_services_charged(appointment) -> Decimal:
    """What the visit of ``appointment`` (an id) charged for the services booked on it: the
    base of a partner's commission."""
    return _sum(_booked_use(appointment))


def booked_services_charged_expression(appointment_ref):
    """``booked_services_charged`` as a subquery over ``appointment_ref`` (an ``OuterRef``), None
    before the visit is billed: one query for a page of bookings."""
    from django.db.models import DecimalField, Subquery

    totals = (_booked_use(appointment_ref).order_by().values("visit__appointment_id")
              .annotate(total=Sum("amount")).values("total"))
    return Subquery(totals, output_field=DecimalField(max_digits=14, decimal_places=2))


def _payable_parts(counterparty, appointment, postings):
    """The two sets of legs ``payable_for_appointment`` adds up: those on the appointment's visit,
    and those of ``postings`` on no visit (a booking's commission posted before its visit, by
    earlier versions). Two index scans, no OR across them."""
    on_visit = LedgerEntry.objects.filter(counterparty_id=counterparty, bucket=Bucket.PAYABLE,
                                          visit__appointment_id=appointment)
    ids = [posting_id for posting_id in postings if posting_id is not None]
    own = Q()
    for posting_id in ids:
        own |= Q(posting_id=posting_id)
    before_visit = (LedgerEntry.objects.filter(own, counterparty_id=counterparty, bucket=Bucket.PAYABLE,
                                               visit__isnull=True) if ids else LedgerEntry.objects.none())
    return on_visit, before_visit


def payable_for_appointment(counterparty, appointment, *, postings: Iterable = ()) -> Decimal:
    """What the clinic came to owe ``counterparty`` (ids) for an appointment: its legs on the
    appointment's visit, and those of ``postings`` (a booking's own, posted before its visit)."""
    on_visit, before_visit = _payable_parts(counterparty, appointment, postings)
    return _sum(on_visit) + _sum(before_visit)


def payable_for_appointment_expression(counterparty_ref, appointment_ref, *, postings: Iterable = ()):
    """``payable_for_appointment`` as subqueries over ``OuterRef``s (a page of bookings)."""
    from django.db.models import DecimalField, Subquery, Value

    money = DecimalField(max_digits=14, decimal_places=2)

    def total(legs):
        sums = legs.order_by().annotate(one=Value(1)).values("one").annotate(total=Sum("amount")).values("total")
        return Coalesce(Subquery(sums, output_field=money), ZERO)

    on_visit, before_visit = _payable_parts(counterparty_ref, appointment_ref, postings)
    return total(on_visit) + total(before_visit)


# The rows are written out in each part (not a CTE read three times): the planner then knows
# their number and joins them by hash.
_BOOKED_TOTALS = """
SELECT grp, day, SUM(billed)::integer, SUM(charged), SUM(payable) FROM (
    -- The visits' lines, their legs, and whether the line's service was booked (a semi-join:
    -- by index for a few days' bookings, by hash for a year's).
    SELECT b.grp, b.day, COUNT(DISTINCT e.visit_id) AS billed, SUM(e.amount) AS charged, 0 AS payable
      FROM ({rows}) AS b (grp, day, appointment_id, counterparty_id, posting_id, cancel_posting_id, live)
      JOIN {visit} v ON v.appointment_id = b.appointment_id
      JOIN {line} l ON l.visit_id = v.id
      JOIN {entry} e ON e.line_id = l.id AND e.bucket = 'debt' AND e.kind IN ('charge', 'discount', 'void')
     WHERE b.live AND EXISTS (SELECT 1 FROM {booked} s
                               WHERE s.appointment_id = v.appointment_id AND s.service_id = l.service_id)
     GROUP BY 1, 2
    UNION ALL
    -- Their commission: the legs on their visits, and their own postings' legs on no visit.
    SELECT b.grp, b.day, 0, 0, SUM(e.amount)
      FROM ({rows}) AS b (grp, day, appointment_id, counterparty_id, posting_id, cancel_posting_id, live)
      JOIN {visit} v ON v.appointment_id = b.appointment_id
      JOIN {entry} e ON e.visit_id = v.id AND e.counterparty_id = b.counterparty_id AND e.bucket = 'payable'
     GROUP BY 1, 2
    UNION ALL
    SELECT b.grp, b.day, 0, 0, SUM(e.amount)
      FROM ({rows}) AS b (grp, day, appointment_id, counterparty_id, posting_id, cancel_posting_id, live)
      JOIN {entry} e ON e.posting_id IN (b.posting_id, b.cancel_posting_id)
                    AND e.counterparty_id = b.counterparty_id AND e.bucket = 'payable' AND e.visit_id IS NULL
     GROUP BY 1, 2
) AS parts GROUP BY 1, 2
"""


@dataclass(frozen=True)
class BookedTotals:
    billed: int  # live appointments whose booked services were charged
    charged: Decimal  # what they charged for their booked services (``booked_services_charged``, summed)
    payable: Decimal  # what the clinic came to owe for all of them (``payable_for_appointment``, summed)


def booked_totals(rows_sql: str, params) -> dict[tuple, BookedTotals]:
    """``booked_services_charged`` of the live appointments and ``payable_for_appointment`` of
    all, summed per group over the rows of ``rows_sql`` (a group of two columns — a partner
    and a day, say —, then the appointment id, counterparty id, posting id, cancel posting id,
    live): one statement, whatever the number of rows. Groups with nothing charged nor payable
    are left out."""
    from clinic.scheduling.models import AppointmentService

    from .models import Visit, VisitLine

    sql = _BOOKED_TOTALS.format(rows=rows_sql, visit=Visit._meta.db_table, entry=LedgerEntry._meta.db_table,
                                line=VisitLine._meta.db_table, booked=AppointmentService._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params) * 3)
        return {(group, day): BookedTotals(billed=billed, charged=charged, payable=payable)
                for group, day, billed, charged, payable in cursor.fetchall()}


@dataclass(frozen=True)
class Movement:
    """What one posting changed between the clinic and a counterparty, per visit."""

    posting_id: int
    kind: str  # the posting's (charge, discount, void, commission)
    created: datetime
    visit_id: int | None
    appointment_id: int | None
    charged: Decimal  # its coverages' charges (less discounts and voids): what it owes for them
    base: Decimal  # the visit's charges for the services booked on its appointment, whoever pays
    payable: Decimal  # what the clinic came to owe it


def counterparty_movements(counterparty, *, starts: datetime, ends: datetime) -> list[Movement]:
    """A counterparty's account of a period, a line per posting and visit, oldest first: what
    its coverages were charged, what the clinic came to owe it, and the commission base (the
    visit's charges for the booked services in the same posting). Its lines add up to
    ``counterparty_charged`` and ``counterparty_payable``. Two queries."""
    from django.db.models import Exists, Min, OuterRef

    from clinic.scheduling.models import AppointmentService

    pk = counterparty.pk if isinstance(counterparty, Counterparty) else counterparty
    period = Q(created__gte=starts, created__lt=ends)
    use = Q(bucket=Bucket.DEBT, kind__in=USE_KINDS)
    mine = ((Q(account__counterparty_id=pk) & use) | Q(counterparty_id=pk, bucket=Bucket.PAYABLE))
    rows = list(LedgerEntry.objects.filter(period & mine).order_by()
                .values("posting_id", "visit_id", "posting__kind", "visit__appointment_id")
                .annotate(created=Min("created"),
                          charged=Coalesce(Sum("amount", filter=Q(account__isnull=False)), ZERO),
                          payable=Coalesce(Sum("amount", filter=Q(bucket=Bucket.PAYABLE)), ZERO)))
    bases: dict[tuple[int, int], Decimal] = {}
    visits = {row["visit_id"] for row in rows if row["visit_id"] is not None}
    if visits:
        booked = AppointmentService.objects.filter(appointment_id=OuterRef("visit__appointment_id"),
                                                   service_id=OuterRef("line__service_id"))
        for row in (LedgerEntry.objects.filter(period, use, visit_id__in=visits,
                                               posting_id__in={r["posting_id"] for r in rows})
                    .filter(Exists(booked)).order_by().values("posting_id", "visit_id")
                    .annotate(total=Sum("amount"))):
            bases[row["posting_id"], row["visit_id"]] = row["total"]
    movements = [Movement(posting_id=row["posting_id"], kind=row["posting__kind"], created=row["created"],
                          visit_id=row["visit_id"], appointment_id=row["visit__appointment_id"],
                          charged=row["charged"], base=bases.get((row["posting_id"], row["visit_id"]), ZERO),
                          payable=row["payable"]) for row in rows]
    movements.sort(key=lambda movement: (movement.created, movement.posting_id))
    return movements


def counterparty_charged(counterparty, *, starts: datetime, ends: datetime) -> Decimal:
    """What a counterparty's coverages were charged in a period (charges less discounts and
    voids): what a partner collected for the clinic and owes it for the month."""
    pk = counterparty.pk if isinstance(counterparty, Counterparty) else counterparty
    return _sum(LedgerEntry.objects.filter(account__counterparty_id=pk, bucket=Bucket.DEBT, kind__in=USE_KINDS,
                                           created__gte=starts, created__lt=ends))


def counterparty_payable(counterparty, *, starts: datetime, ends: datetime) -> Decimal:
    """What the clinic came to owe a counterparty in a period (a partner's commission, less
    its reversals)."""
    pk = counterparty.pk if isinstance(counterparty, Counterparty) else counterparty
    return _sum(LedgerEntry.objects.filter(counterparty_id=pk, bucket=Bucket.PAYABLE, created__gte=starts,
                                           created__lt=ends))


def unallocated(counterparty) -> Decimal:
    """Money received from the counterparty not yet allocated (its own debt entries, negated)."""
    return -_sum(LedgerEntry.objects.filter(counterparty=counterparty, bucket=Bucket.DEBT))


# --- the clinic's books ---------------------------------------------------------------------------


def trial_balance(*, at: datetime | None = None) -> dict[tuple[str, str], Decimal]:
    """Every account's balance on its debit side at ``at``: ("book", code) for each of the
    clinic's books, ("account", bucket) for all payers' and counterparties' legs of a bucket
    together. Σ of the values is always zero."""
    queryset = LedgerEntry.objects.all()
    if at is not None:
        queryset = queryset.filter(created__lt=at)
    from django.db.models import F

    rows = queryset.order_by().values("book", "bucket").annotate(total=Sum(F("amount") * F("side")))
    result: dict[tuple[str, str], Decimal] = {}
    for row in rows:
        key = ("book", row["book"]) if row["book"] else ("account", row["bucket"])
        result[key] = result.get(key, ZERO) + (row["total"] or ZERO)
    return result


def book_movements(books, *, starts: datetime, ends: datetime):
    """The legs on the clinic's ``books`` in a period (the cash and revenue reports group them)."""
    return LedgerEntry.objects.filter(book__in=list(books), created__gte=starts, created__lt=ends)
