"""Payments and refunds at the cashier, a payment in several methods, and what coverages pay."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import transaction
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.money import ZERO, round_money
from clinic.texts import source_text, words_or_text

from .. import ledger
from ..models import (
    BillingSettings,
    Bucket,
    Deposit,
    Entry,
    Method,
    Payer,
    PayerKind,
    Payment,
    Visit,
)
from ._common import (
    COVERAGE_METHODS,
    _amount,
    _check_currency,
    _shown,
)
from .visits import patient_account

# --- payments ------------------------------------------------------------------------------


def take_payment(
    *,
    patient,
    method: str,
    amount,
    actor,
    currency: str = "",
    visit: Visit | None = None,
    tendered=None,
    deposit: Deposit | None = None,
    part_of: Payment | None = None,
) -> Payment:
    """Take a payment from the patient for a visit (or towards their balance).

    The visit (or the patient's account) is locked, so two cashiers paying at
    once cannot together pay more than is due. Cash may be tendered above the
    amount: the difference is change.
    """
    currency = _check_currency(currency)
    if method not in Method.values:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    if method in COVERAGE_METHODS:
        raise DomainError(_("Platform settlements are recorded from the platform's orders."), field="method")
    amount = _amount(amount, currency)
    with transaction.atomic():
        account = Payer.objects.select_for_update().get(pk=patient_account(patient).pk)
        balance = ledger.balance(patient)
        if visit is not None:
            visit = Visit.objects.select_for_update().get(pk=visit.pk)
            if visit.patient_id != patient.pk:
                raise DomainError(_("This visit belongs to another patient."))
            # Never more than the whole account owes either (a credit elsewhere counts).
            due = min(ledger.visit_due(visit, account), balance)
        else:
            due = balance
        if amount > due:
            if due <= 0:
                raise DomainError(_("Nothing is due. Take money ahead as a deposit."), field="amount")
            raise DomainError(
                _("Only %(due)s is due. Take money ahead as a deposit.") % {"due": _shown(due, currency)},
                field="amount",
            )
        change = ZERO
        if method == Method.CASH and tendered not in (None, ""):
            tendered = _amount(tendered, currency, field="tendered")
            if tendered < amount:
                raise DomainError(_("The cash tendered is less than the amount."), field="tendered")
            change = tendered - amount
        else:
            tendered = None
        points_used = 0
        if method == Method.DEPOSIT:
            deposit = _locked_deposit(deposit, patient)
            remaining = ledger.deposit_remaining(deposit)
            if amount > remaining:
                raise DomainError(
                    _("This deposit has %(remaining)s left.") % {"remaining": _shown(remaining, currency)},
                    field="deposit",
                )
        else:
            deposit = None
        club = BillingSettings.load()
        if method == Method.LOYALTY:
            points_used = math.ceil(amount / club.point_value)
            available = ledger.points_balance(patient)
            if points_used > available:
                raise DomainError(
                    _("This needs %(needed)s points; the patient has %(available)s.")
                    % {"needed": points_used, "available": available},
                    field="amount",
                )
        payment = Payment.objects.create(
            patient=patient, payer=account, visit=visit, method=method, amount=amount, currency=currency,
            tendered=tendered, change=change, deposit=deposit, points=points_used, cashier=actor, part_of=part_of,
        )
        # One posting: the debt it pays, and the deposit it uses or the till it goes into.
        with ledger.posting(Entry.PAYMENT, actor=actor):
            for paid_visit, share in _allocation(patient, account, visit, amount):
                ledger.post(account=account, bucket=Bucket.DEBT, kind=Entry.PAYMENT, amount=-share,
                            currency=currency, method=method, visit=paid_visit, payment=payment, actor=actor)
            if deposit is not None:
                ledger.post(account=account, bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_APPLIED, amount=-amount,
                            currency=currency, method=method, visit=visit, payment=payment, deposit=deposit,
                            actor=actor)
            if points_used:
                ledger.post(account=account, bucket=Bucket.POINTS, kind=Entry.POINTS_REDEEMED, points=-points_used,
                            currency=currency, visit=visit, payment=payment, actor=actor)
            earned = _points_for(amount, club) if method != Method.LOYALTY else 0
            if earned:
                ledger.post(account=account, bucket=Bucket.POINTS, kind=Entry.POINTS_EARNED, points=earned,
                            currency=currency, visit=visit, payment=payment, actor=actor)
        return payment


@dataclass
class PaymentPart:
    """One method's share of a payment taken in several methods at once."""

    method: str
    amount: object
    tendered: object = None
    deposit: Deposit | None = None


def take_payment_in_parts(*, patient, parts: list[PaymentPart], actor, visit: Visit | None = None,
                          currency: str = "") -> list[Payment]:
    """Take one payment in several methods (part cash with change, part card): one row
    per method, all or none, the later ones parts of the first (one receipt lists them).

    The total is checked against what is due before anything is saved, so the message
    names the whole payment, not one of its parts.
    """
    parts = [part for part in parts if part.method]
    if not parts:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    if len({part.method for part in parts}) < len(parts):
        raise DomainError(_("Each part of a payment has its own method."), field="method_2")
    currency = _check_currency(currency)
    amounts = [_amount(part.amount, currency, field="amount" if i == 0 else "amount_2")
               for i, part in enumerate(parts)]
    with transaction.atomic():
        Payer.objects.select_for_update().get(pk=patient_account(patient).pk)
        balance = ledger.balance(patient)
        due = min(ledger.visit_due(visit, patient_account(patient)), balance) if visit is not None else balance
        total = sum(amounts, ZERO)
        if len(parts) > 1 and total > due:
            raise DomainError(
                _("Only %(due)s is due; the parts add up to %(total)s.")
                % {"due": _shown(max(due, ZERO), currency), "total": _shown(total, currency)},
                field="amount",
            )
        payments: list[Payment] = []
        for part, amount in zip(parts, amounts, strict=True):
            payments.append(take_payment(
                patient=patient, visit=visit, method=part.method, amount=amount, currency=currency,
                tendered=part.tendered, deposit=part.deposit, actor=actor,
                part_of=payments[0] if payments else None,
            ))
        return payments


def payment_settles(patient, visit: Visit | None, amount) -> list[tuple[Visit | None, Decimal]]:
    """Which visits a payment of ``amount`` would settle, and how much of each (read only:
    what the cashier shows before the payment is confirmed)."""
    try:
        amount = Decimal(str(amount)) if amount not in (None, "") else ZERO
    except InvalidOperation:
        amount = ZERO
    if amount <= 0 or not amount.is_finite():
        return []
    return _allocation(patient, patient_account(patient), visit, round_money(amount))


def _allocation(patient, account: Payer, visit: Visit | None, amount: Decimal) -> list[tuple[Visit | None, Decimal]]:
    """Which visits a payment pays: the one chosen, or, towards the balance, the visits
    that still owe, oldest first (so each visit's due stays true); what is left, if
    anything, pays debt that belongs to no visit (e.g. a refund of such a payment)."""
    if visit is not None:
        return [(visit, amount)]
    shares: list[tuple[Visit | None, Decimal]] = []
    left = amount
    dues = ledger.dues_by_visit(patient)
    owing = Visit.objects.filter(pk__in=[pk for pk, due in dues.items() if due > 0]).order_by("opened_at", "id")
    for owed in owing:
        if left <= 0:
            break
        share = min(dues[owed.pk], left)
        shares.append((owed, share))
        left -= share
    if left > 0:
        shares.append((None, left))
    return shares


def settle_coverage(*, payer: Payer, visit: Visit, amount, method: str, actor) -> Payment:
    """A coverage pays what it owes for a visit: a platform's settlement, a partner's
    or barter company's payment. Never more than it owes; no club points."""
    if payer.kind == PayerKind.PATIENT:
        raise DomainError(_("The patient pays at the cashier."), field="payer")
    if method not in payer.rules.settles_by:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    with transaction.atomic():
        payer = Payer.objects.select_for_update().get(pk=payer.pk)
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        amount = _amount(amount, visit.currency)
        due = ledger.visit_due(visit, payer)
        if amount > due:
            raise DomainError(
                _("Only %(due)s is due. Take money ahead as a deposit.") % {"due": _shown(due, visit.currency)},
                field="amount",
            )
        payment = Payment.objects.create(patient_id=payer.patient_id, payer=payer, visit=visit, method=method,
                                         amount=amount, currency=visit.currency, cashier=actor)
        ledger.post(account=payer, bucket=Bucket.DEBT, kind=Entry.PAYMENT, amount=-amount, currency=visit.currency,
                    method=method, visit=visit, payment=payment, actor=actor)
        return payment


def pay_from_coverage(*, patient, visit: Visit, amount, method: str, coverage_payer: Payer, actor,
                      note: str | dict = "") -> Payment:
    """A coverage pays the patient's own lines of a visit for them (a platform's cash voucher the
    patient bought there): a payment of the patient in ``method`` and, in the same posting, the
    coverage's debt grows by as much. No money moves through the clinic's till and nothing is
    revenue again: the patient's debt −x, the coverage's (so its counterparty's) debt +x.
    Never more than the patient owes for the visit; no club points. ``note`` is a person's words or
    the system's as a ``clinic.texts.system_text``."""
    note, details = words_or_text(note)
    ledger_note = note or source_text(details)  # the ledger's legs keep plain text
    if method not in COVERAGE_METHODS:
        raise DomainError(_("Choose a payment method from the list."), field="method")
    if coverage_payer.kind == PayerKind.PATIENT or coverage_payer.counterparty_id is None:
        raise DomainError(_("The patient pays at the cashier."), field="payer")
    if coverage_payer.patient_id != patient.pk:
        raise DomainError(_("This payer does not cover this patient."), field="payer")
    with transaction.atomic():
        account = Payer.objects.select_for_update().get(pk=patient_account(patient).pk)
        Payer.objects.select_for_update().get(pk=coverage_payer.pk)
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if visit.patient_id != patient.pk:
            raise DomainError(_("This visit belongs to another patient."))
        amount = _amount(amount, visit.currency)
        due = min(ledger.visit_due(visit, account), ledger.balance(patient))
        if amount > due:
            raise DomainError(_("Only %(due)s is due.") % {"due": _shown(max(due, ZERO), visit.currency)},
                              field="amount")
        payment = Payment.objects.create(patient=patient, payer=account, visit=visit, method=method, amount=amount,
                                         currency=visit.currency, cashier=actor, reason=note[:200],
                                         reason_details=details)
        with ledger.posting(Entry.PAYMENT, actor=actor):
            ledger.post(account=account, bucket=Bucket.DEBT, kind=Entry.PAYMENT, amount=-amount,
                        currency=visit.currency, method=method, visit=visit, payment=payment, actor=actor,
                        note=ledger_note)
            # The coverage takes over what the patient no longer owes: a charge to it with no
            # leg on the clinic's books (the patient's charge was the revenue already).
            ledger.post(account=coverage_payer, bucket=Bucket.DEBT, kind=Entry.CHARGE, amount=amount,
                        currency=visit.currency, method=method, visit=visit, payment=payment, actor=actor,
                        note=ledger_note, against="")
        return payment


def _points_for(amount: Decimal, club: BillingSettings) -> int:
    return int((amount * club.points_per_unit).to_integral_value(rounding=ROUND_FLOOR))


def _locked_deposit(deposit: Deposit | None, patient) -> Deposit:
    if deposit is None:
        raise DomainError(_("Choose the deposit to pay from."), field="deposit")
    deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
    if deposit.patient_id != patient.pk:
        raise DomainError(_("This deposit belongs to another patient."), field="deposit")
    return deposit


def refundable(payment: Payment) -> Decimal:
    """What is left to refund of a payment."""
    from django.db.models import Sum

    refunded = payment.refunds.aggregate(total=Sum("amount"))["total"] or ZERO
    return payment.amount + refunded


def refund_payment(payment: Payment, *, amount, reason: str, actor) -> Payment:
    """Give money back: a negative payment pointing to the original; never more than was paid."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the refund."), field="reason")
    with transaction.atomic():
        # The account first (as a payment locks it): points and the balance change together.
        Payer.objects.select_for_update().get(pk=payment.payer_id)
        payment = Payment.objects.select_for_update().select_related("payer").get(pk=payment.pk)
        if payment.is_refund:
            raise DomainError(_("A refund cannot be refunded."))
        if payment.method in COVERAGE_METHODS:
            raise DomainError(_("Platform settlements are recorded from the platform's orders."))
        currency = payment.currency
        amount = _amount(amount, currency)
        left = refundable(payment)
        if amount > left:
            raise DomainError(
                _("At most %(left)s of this payment can be refunded.") % {"left": _shown(left, currency)},
                field="amount",
            )
        points_back = 0
        if payment.method == Method.LOYALTY and payment.points:
            returned = -sum(r.points for r in payment.refunds.all())
            share = int((payment.points * amount / payment.amount).to_integral_value(rounding=ROUND_HALF_UP))
            # The last refund returns what is left, never more than was used.
            points_back = payment.points - returned if amount == left else min(share, payment.points - returned)
        refund = Payment.objects.create(
            patient_id=payment.patient_id, payer=payment.payer, visit_id=payment.visit_id, method=payment.method,
            amount=-amount, currency=currency, deposit_id=payment.deposit_id, points=-points_back,
            refund_of=payment, reason=reason[:200], cashier=actor,
        )
        account = payment.payer
        with ledger.posting(Entry.REFUND, actor=actor):
            for refunded_visit, share in _refund_allocation(payment, amount):
                ledger.post(account=account, bucket=Bucket.DEBT, kind=Entry.REFUND, amount=share, currency=currency,
                            method=payment.method, visit=refunded_visit, payment=refund, actor=actor,
                            note=refund.reason)
            if payment.deposit_id:
                ledger.post(account=account, bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_RETURNED, amount=amount,
                            currency=currency, method=payment.method, visit=payment.visit, payment=refund,
                            deposit=payment.deposit, actor=actor, note=refund.reason)
            if points_back:
                ledger.post(account=account, bucket=Bucket.POINTS, kind=Entry.POINTS_REDEEMED, points=points_back,
                            currency=currency, visit=payment.visit, payment=refund, actor=actor, note=refund.reason)
            earned_back = _earned_back(payment, amount)
            if earned_back:
                ledger.post(account=account, bucket=Bucket.POINTS, kind=Entry.POINTS_EARNED, points=-earned_back,
                            currency=currency, visit=payment.visit, payment=refund, actor=actor, note=refund.reason)
        return refund


def _refund_allocation(payment: Payment, amount: Decimal) -> list[tuple[Visit | None, Decimal]]:
    """A refund goes back to the visits its payment paid, the last paid first."""
    from django.db.models import Sum

    from ..models import LedgerEntry

    paid = (LedgerEntry.objects.filter(payment=payment, kind=Entry.PAYMENT, bucket=Bucket.DEBT).order_by()
            .values("visit").annotate(total=Sum("amount")))
    refunded = dict(LedgerEntry.objects.filter(payment__refund_of=payment, kind=Entry.REFUND, bucket=Bucket.DEBT)
                    .order_by()
                    .values("visit").annotate(total=Sum("amount")).values_list("visit", "total"))
    open_shares = [(row["visit"], -row["total"] - refunded.get(row["visit"], ZERO)) for row in paid]
    visits = Visit.objects.in_bulk([pk for pk, _share in open_shares if pk])
    shares: list[tuple[Visit | None, Decimal]] = []
    left = amount
    for pk, refundable_here in sorted(open_shares, key=lambda item: (item[0] is None, item[0] or 0), reverse=True):
        if left <= 0:
            break
        share = min(refundable_here, left)
        if share > 0:
            shares.append((visits.get(pk), share))
            left -= share
    if left > 0:  # cannot happen while refundable() holds; kept whole rather than lost
        shares.append((payment.visit, left))
    return shares


def _earned_back(payment: Payment, amount: Decimal) -> int:
    """The points a refund takes back: in proportion to what was earned on the payment."""
    from django.db.models import Sum

    from ..models import LedgerEntry

    earned = LedgerEntry.objects.filter(payment=payment, kind=Entry.POINTS_EARNED).aggregate(
        total=Sum("points"))["total"] or 0
    if not earned:
        return 0
    taken = -(LedgerEntry.objects.filter(payment__refund_of=payment, kind=Entry.POINTS_EARNED).aggregate(
        total=Sum("points"))["total"] or 0)
    share = int((earned * amount / payment.amount).to_integral_value(rounding=ROUND_HALF_UP))
    return min(share, earned - taken)


