"""Settling with counterparties: money received from a platform, a barter company or a partner,
allocated to what its coverages owe (oldest first, or line by line), undone with a reason.

Each operation is one balanced posting (``billing.ledger``):
- a transfer received: the bank (+) against the counterparty's own debt (−): until allocated it
  is the counterparty's credit, and its balance already falls;
- an allocation: the coverage's debt for a visit (−) against the counterparty's own debt (+): the
  money moves from "received" to the debt it pays; the balance does not change;
- undoing an allocation: the reverse posting (nothing is edited or deleted).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.money import ZERO
from clinic.services import clinic_currency
from clinic.templatetags.ui import money as format_money

from . import ledger
from .models import Allocation, Book, Bucket, Counterparty, CounterpartyReceipt, Entry, Payer, Visit
from .services import clinic_today, parse_amount


def get_counterparty_for(user, pk) -> Counterparty:
    """A counterparty of this clinic (another clinic's id is simply not found here)."""
    return Counterparty.objects.get(pk=pk)


def record_receipt(counterparty: Counterparty, *, amount, currency: str, received_on: date, reference: str,
                   actor, allocate_oldest_first: bool = True) -> CounterpartyReceipt:
    """Finance records a bank transfer from a counterparty, and (by default) allocates it to
    what it owes, oldest first; what is left is held as its credit."""
    reference = (reference or "").strip()
    if not reference:
        raise DomainError(_("Enter the transfer's bank reference."), field="reference")
    if received_on is None:
        raise DomainError(_("Enter the day the money arrived."), field="received_on")
    if received_on > clinic_today():
        raise DomainError(_("The day the money arrived cannot be in the future."), field="received_on")
    if currency != counterparty.currency or currency != clinic_currency():
        raise DomainError(
            _("%(counterparty)s settles in %(currency)s.") % {"counterparty": counterparty,
                                                              "currency": counterparty.currency},
            field="currency")
    amount = parse_amount(amount, currency)
    with transaction.atomic(durable=True):
        counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
        receipt = CounterpartyReceipt.objects.create(counterparty=counterparty, amount=amount, currency=currency,
                                                     received_on=received_on, reference=reference[:100],
                                                     recorded_by=actor)
        ledger.post(counterparty=counterparty, bucket=Bucket.DEBT, kind=Entry.RECEIVED, amount=-amount,
                    currency=currency, method="transfer", receipt=receipt, actor=actor, against=Book.TILL_TRANSFER,
                    note=receipt.reference)
        if allocate_oldest_first:
            _allocate_oldest_first(counterparty, receipt, actor=actor)
        return receipt


def receipt_left(receipt: CounterpartyReceipt) -> Decimal:
    """What of a receipt is not allocated (allocations undone count as not allocated)."""
    from django.db.models import Sum
    from django.db.models.functions import Coalesce

    allocated = Allocation.objects.filter(receipt=receipt, undone_at__isnull=True).aggregate(
        total=Coalesce(Sum("amount"), ZERO))["total"]
    return receipt.amount - allocated


@dataclass(frozen=True)
class Share:
    payer_id: int
    visit_id: int | None
    amount: Decimal


def allocate(receipt: CounterpartyReceipt, shares: list[Share], *, actor) -> list[Allocation]:
    """Allocate a receipt line by line: each share to one coverage's debt for one visit.
    All or nothing: more than is left of the receipt, another counterparty's debt, or more than
    a line owes is refused with a message."""
    with transaction.atomic(durable=True):
        receipt = CounterpartyReceipt.objects.select_for_update().select_related("counterparty").get(pk=receipt.pk)
        return _allocate(receipt, shares, actor=actor)


def _allocate(receipt: CounterpartyReceipt, shares: list[Share], *, actor) -> list[Allocation]:
    counterparty = receipt.counterparty
    left = receipt_left(receipt)
    total = sum((share.amount for share in shares), ZERO)
    if total <= 0:
        raise DomainError(_("Enter an amount greater than zero."), field="amount")
    if total > left:
        raise DomainError(
            _("Only %(left)s of this transfer is left to allocate.") % {"left": format_money(left, receipt.currency)},
            field="amount")
    made = []
    with ledger.posting(Entry.ALLOCATED, actor=actor):
        for share in shares:
            if share.amount <= 0:
                continue
            payer = Payer.objects.select_for_update().filter(pk=share.payer_id).first()
            if payer is None or payer.counterparty_id != counterparty.pk:
                raise DomainError(_("This debt belongs to another counterparty."), field="amount")
            visit = Visit.objects.filter(pk=share.visit_id).first() if share.visit_id else None
            owed = ledger.visit_due(visit, payer) if visit is not None else ledger.owed_by(payer)
            if share.amount > owed:
                raise DomainError(
                    _("%(payer)s owes only %(owed)s here.") % {"payer": payer,
                                                               "owed": format_money(owed, receipt.currency)},
                    field="amount")
            allocation = Allocation.objects.create(receipt=receipt, payer=payer, visit=visit, amount=share.amount,
                                                   allocated_by=actor)
            ledger.post(account=payer, bucket=Bucket.DEBT, kind=Entry.ALLOCATED, amount=-share.amount,
                        currency=receipt.currency, visit=visit, receipt=receipt, allocation=allocation, actor=actor)
            ledger.post(counterparty=counterparty, bucket=Bucket.DEBT, kind=Entry.ALLOCATED, amount=share.amount,
                        currency=receipt.currency, visit=visit, receipt=receipt, allocation=allocation, actor=actor)
            made.append(allocation)
    return made


def _allocate_oldest_first(counterparty: Counterparty, receipt: CounterpartyReceipt, *, actor) -> list[Allocation]:
    left = receipt_left(receipt)
    shares = []
    for item in ledger.open_items(counterparty):
        if left <= 0:
            break
        amount = min(item["due"], left)
        shares.append(Share(item["account_id"], item["visit_id"], amount))
        left -= amount
    return _allocate(receipt, shares, actor=actor) if shares else []


def allocate_oldest_first(receipt: CounterpartyReceipt, *, actor) -> list[Allocation]:
    """What is left of a receipt (an over-payment held as credit) to the debts now open."""
    with transaction.atomic(durable=True):
        receipt = CounterpartyReceipt.objects.select_for_update().select_related("counterparty").get(pk=receipt.pk)
        Counterparty.objects.select_for_update().get(pk=receipt.counterparty_id)
        return _allocate_oldest_first(receipt.counterparty, receipt, actor=actor)


def undo_allocation(allocation: Allocation, *, reason: str, actor) -> Allocation:
    """Take an allocation back (it went to the wrong debt): the reverse posting, with a reason."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for undoing this allocation."), field="reason")
    with transaction.atomic(durable=True):
        allocation = (Allocation.objects.select_for_update(of=("self",))
                      .select_related("receipt__counterparty", "payer", "visit").get(pk=allocation.pk))
        if allocation.undone_at is not None:
            raise DomainError(_("This allocation is already undone."))
        receipt = allocation.receipt
        with ledger.posting(Entry.UNALLOCATED, actor=actor):
            ledger.post(account=allocation.payer, bucket=Bucket.DEBT, kind=Entry.UNALLOCATED,
                        amount=allocation.amount, currency=receipt.currency, visit=allocation.visit, receipt=receipt,
                        allocation=allocation, actor=actor, note=reason)
            ledger.post(counterparty=receipt.counterparty, bucket=Bucket.DEBT, kind=Entry.UNALLOCATED,
                        amount=-allocation.amount, currency=receipt.currency, visit=allocation.visit,
                        receipt=receipt, allocation=allocation, actor=actor, note=reason)
        allocation.undone_at, allocation.undone_by, allocation.undo_reason = timezone.now(), actor, reason[:200]
        allocation.save(update_fields=["undone_at", "undone_by", "undo_reason"])
        return allocation


# --- the counterparty's statement ---------------------------------------------------------------


@dataclass
class StatementLine:
    at: object
    label: str
    detail: str
    owes: Decimal  # + what it came to owe the clinic, − what it paid
    owed: Decimal  # + what the clinic came to owe it
    balance: Decimal  # the running net (owes less owed)


@dataclass
class CounterpartyStatement:
    counterparty: Counterparty
    first: date
    last: date
    opening: Decimal
    lines: list

    @property
    def closing(self) -> Decimal:
        return self.lines[-1].balance if self.lines else self.opening

    @property
    def currency(self) -> str:
        return self.counterparty.currency


def counterparty_statement(counterparty: Counterparty, first: date, last: date) -> CounterpartyStatement:
    """Opening balance, every entry of the period with the running balance, closing balance:
    all ledger sums (``billing.ledger``), in the clinic's time zone. The net is what the
    counterparty owes the clinic less what the clinic owes it."""
    from .reports import period_bounds

    starts, ends = period_bounds(first, last)
    opening = ledger.counterparty_balance(counterparty, at=starts).net
    labels = dict(Entry.choices)
    lines, running = [], opening
    for entry in ledger.counterparty_entries(counterparty, starts=starts, ends=ends):
        moves_within = entry.kind in (Entry.ALLOCATED, Entry.UNALLOCATED)
        if moves_within and entry.account_id is None:
            continue  # an allocation moves money within the counterparty: its coverage's leg says where
        # An allocation is shown for the record; the receipt already moved the balance.
        owes = entry.amount if entry.bucket == Bucket.DEBT and not moves_within else ZERO
        owed = entry.amount if entry.bucket == Bucket.PAYABLE else ZERO
        running += owes - owed
        detail = entry.note
        if entry.account_id is not None:
            detail = " · ".join(part for part in (
                entry.account.patient.full_name if entry.account.patient_id else "",
                entry.line.description if entry.line_id else "",
                f"#{entry.visit.number}" if entry.visit_id else "",
                entry.receipt.reference if entry.receipt_id else "") if part)
        if moves_within:
            detail = f"{detail} · {format_money(abs(entry.amount), entry.currency)}"
        lines.append(StatementLine(at=entry.created, label=str(labels.get(entry.kind, entry.kind)), detail=detail,
                                   owes=owes, owed=owed, balance=running))
    return CounterpartyStatement(counterparty=counterparty, first=first, last=last, opening=opening, lines=lines)


def statement_rows(statement: CounterpartyStatement):
    """The statement as rows for a workbook."""
    from clinic.calendars import format_date

    yield [str(statement.counterparty), format_date(statement.first), format_date(statement.last)]
    yield [_("Date"), _("Entry"), _("Details"), _("Owes the clinic"), _("Owed by the clinic"), _("Balance")]
    yield ["", _("Opening balance"), "", None, None, statement.opening]
    for line in statement.lines:
        yield [timezone.localtime(line.at).replace(tzinfo=None), line.label, line.detail, line.owes, line.owed,
               line.balance]
    yield ["", _("Closing balance"), "", None, None, statement.closing]


def settle_in_full(counterparty: Counterparty, *, shares: list[Share], arrived: list[tuple[str, Decimal]],
                   reference: str, received_on: date, actor) -> CounterpartyReceipt:
    """A counterparty settles these debts in full (a platform's quarterly settlement): what
    arrives on each of the clinic's books — the bank, a voucher held, tax withheld on an
    ordinary invoice — adds up to the debts. One receipt, its posting, and the allocation of
    every debt, in the caller's transaction (the settlement's)."""
    from django.db import connection

    assert connection.in_atomic_block, "call inside the settlement's transaction"
    total = sum((share.amount for share in shares), ZERO)
    if total <= 0 or sum((amount for _book, amount in arrived), ZERO) != total:
        raise DomainError(_("What arrives must add up to the debts it settles."))
    counterparty = Counterparty.objects.select_for_update().get(pk=counterparty.pk)
    receipt = CounterpartyReceipt.objects.create(counterparty=counterparty, amount=total,
                                                 currency=counterparty.currency, received_on=received_on,
                                                 reference=reference[:100], recorded_by=actor)
    with ledger.posting(Entry.RECEIVED, actor=actor):
        for book, amount in arrived:
            if amount:
                ledger.post(counterparty=counterparty, bucket=Bucket.DEBT, kind=Entry.RECEIVED, amount=-amount,
                            currency=counterparty.currency, receipt=receipt, actor=actor, against=book,
                            note=receipt.reference)
    _allocate(receipt, shares, actor=actor)
    return receipt
