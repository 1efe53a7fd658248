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
from collections.abc import Iterator
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
        try:
            yield record
        finally:
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
    scans (its coverages' legs by account, its own by counterparty) added up."""
    pk = counterparty.pk if isinstance(counterparty, Counterparty) else counterparty
    before = "AND created < %(at)s" if at is not None else ""
    sql = f"""
        SELECT COALESCE(SUM(amount) FILTER (WHERE bucket = 'debt'), 0),
               COALESCE(SUM(amount) FILTER (WHERE bucket = 'payable'), 0)
          FROM (SELECT bucket, amount FROM {LedgerEntry._meta.db_table}
                 WHERE account_id IN (SELECT id FROM {Payer._meta.db_table} WHERE counterparty_id = %(pk)s)
                   AND bucket IN ('debt', 'payable') {before}
                UNION ALL
                SELECT bucket, amount FROM {LedgerEntry._meta.db_table}
                 WHERE counterparty_id = %(pk)s AND bucket IN ('debt', 'payable') {before}) AS legs
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
# counterparty's own negative debt) pays the oldest items first. Two grouped queries in one
# statement, whatever the number of entries.
_AGEING_SQL = """
WITH leg AS (
    -- The counterparties' legs: their coverages' (by account) and their own (by counterparty),
    -- two index scans.
    SELECT p.counterparty_id, e.account_id, e.visit_id, e.bucket, e.amount, e.created
      FROM {entry} e JOIN {payer} p ON p.id = e.account_id
     WHERE p.counterparty_id = ANY(%(ids)s) AND e.bucket IN ('debt', 'payable') AND e.created < %(at)s
    UNION ALL
    SELECT e.counterparty_id, NULL, NULL, e.bucket, e.amount, e.created
      FROM {entry} e
     WHERE e.counterparty_id = ANY(%(ids)s) AND e.bucket IN ('debt', 'payable') AND e.created < %(at)s
), item AS (
    -- A coverage's debt is an item per visit; the counterparty's own entries (transfers and
    -- their allocations) are one item: what it holds unallocated.
    SELECT counterparty_id, SUM(amount) AS due, MIN(created) AS since
      FROM leg WHERE bucket = 'debt'
     GROUP BY counterparty_id, account_id, visit_id
), open_item AS (
    SELECT counterparty_id, due, since,
           SUM(due) OVER (PARTITION BY counterparty_id ORDER BY since DESC
                          ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS newer_and_this,
           SUM(due) OVER (PARTITION BY counterparty_id) AS all_open
      FROM item WHERE due > 0
), credit AS (
    SELECT counterparty_id, -SUM(due) AS credit FROM item WHERE due < 0 GROUP BY 1
), payable AS (
    SELECT counterparty_id, SUM(amount) AS owed FROM leg WHERE bucket = 'payable' GROUP BY 1
), aged AS (
    -- What is left of each item once the credit has paid the oldest ones.
    SELECT o.counterparty_id, o.since,
           GREATEST(LEAST(o.due, o.all_open - COALESCE(c.credit, 0) - (o.newer_and_this - o.due)), 0) AS left_open
      FROM open_item o LEFT JOIN credit c ON c.counterparty_id = o.counterparty_id
)
SELECT cp.id,
       COALESCE((SELECT SUM(due) FROM item WHERE item.counterparty_id = cp.id), 0),
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


def payable_by_posting(counterparty, *, starts: datetime, ends: datetime) -> dict[int, Decimal]:
    """What the clinic came to owe a counterparty in a period, per posting (a partner's
    commission per booking and per cancellation): one query."""
    if counterparty is None:
        return {}
    rows = (LedgerEntry.objects.filter(counterparty=counterparty, bucket=Bucket.PAYABLE, created__gte=starts,
                                       created__lt=ends)
            .order_by().values("posting_id").annotate(total=Sum("amount")))
    return {row["posting_id"]: row["total"] for row in rows}


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
