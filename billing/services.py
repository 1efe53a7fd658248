"""Billing operations: each runs in one transaction, locks what it changes, posts to
the ledger, and refuses bad input with a ``DomainError`` (nothing is saved then)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinic.errors import DomainError
from clinic.models import Practitioner, Service
from clinic.money import ZERO, round_money
from clinic.scheduling.states import ATTENDED
from clinic.services import clinic_currency
from clinic.templatetags.ui import money as format_money

from . import coverage, ledger
from .models import (
    DEPOSIT_METHODS,
    Activity,
    BillingSettings,
    Bucket,
    Deposit,
    Entry,
    Method,
    Payer,
    PayerKind,
    Payment,
    Promotion,
    Visit,
    VisitLine,
)

HUNDRED = Decimal(100)
# Methods a coverage pays with, never taken or refunded at the cashier: a platform's
# settlement, a platform's cash voucher.
COVERAGE_METHODS = (Method.PLATFORM_SETTLEMENT, Method.CASH_VOUCHER)
# Appointment statuses a visit can be opened from: scheduling's state machine says which.
VISIT_STATUSES = ATTENDED


def _amount(value, currency: str, *, field: str = "amount", allow_zero: bool = False) -> Decimal:
    try:
        amount = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter an amount."), field=field) from None
    if not amount.is_finite():
        raise DomainError(_("Enter an amount."), field=field)
    amount = round_money(amount, currency)
    if amount < 0 or (amount == 0 and not allow_zero):
        raise DomainError(_("Enter an amount greater than zero."), field=field)
    if amount >= Decimal("1e12"):
        raise DomainError(_("This amount is too large."), field=field)
    return amount


# The check of an amount typed by a person, public for the apps above billing (barter).
parse_amount = _amount


def _check_currency(currency: str) -> str:
    clinic = clinic_currency()
    if currency and currency != clinic:
        raise DomainError(
            _("This clinic takes payments in %(currency)s only.") % {"currency": clinic}, field="currency"
        )
    return clinic


def _shown(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


# --- payers ------------------------------------------------------------------------------


def patient_account(patient) -> Payer:
    """The patient's own account, created the first time it is needed."""
    account = Payer.objects.filter(kind=PayerKind.PATIENT, patient=patient).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return Payer.objects.create(kind=PayerKind.PATIENT, patient=patient)
    except IntegrityError:  # created meanwhile by another request
        return Payer.objects.get(kind=PayerKind.PATIENT, patient=patient)


# The payer of a new line is decided per service: coverage apps name the services of a visit they
# take, ``rule(visit, service) -> Payer | None`` (partners: a booking paid at the partner takes its
# booked services; barter: a reviewed policy takes what its agreement covers; platform orders: a
# package its package services). The first rule that answers wins; otherwise the patient pays.
# The desk may still choose another payer the rules allow.
DEFAULT_PAYERS: list = []


def default_payer(visit, service) -> Payer | None:
    for rule in DEFAULT_PAYERS:
        payer = rule(visit, service)
        if payer is not None:
            return payer
    return None


# --- visits ------------------------------------------------------------------------------


def open_visit(*, patient, location, actor, practitioner=None, appointment=None) -> Visit:
    """Open a visit from an arrived appointment, or for a walk-in."""
    with transaction.atomic():
        if appointment is not None:
            appointment = type(appointment).objects.select_for_update().get(pk=appointment.pk)
            if appointment.patient_id != patient.pk:
                raise DomainError(_("This appointment belongs to another patient."))
            if appointment.status not in VISIT_STATUSES:
                raise DomainError(_("A visit is opened once the patient has arrived."))
            if Visit.objects.filter(appointment=appointment).exists():
                raise DomainError(_("This appointment already has a visit."))
            location, practitioner = appointment.location, appointment.practitioner
        if location is None:
            raise DomainError(_("Choose a location."), field="location")
        patient_account(patient)
        visit = Visit.objects.create(
            patient=patient,
            appointment=appointment,
            location=location,
            practitioner=practitioner,
            currency=clinic_currency(),
            opened_by=actor,
        )
        if appointment is not None:
            for link in appointment.service_lines.select_related("service"):
                if link.service.is_active:
                    _add_line(visit, service=link.service, quantity=1, actor=actor,
                              payer=default_payer(visit, link.service))
        return visit


def open_visit_on_start(event) -> None:
    """Scheduling's ``AppointmentChanged``: "Start treatment" opens the appointment's visit when
    it has none yet (in the status change's transaction)."""
    from clinic.scheduling.events import Change

    appointment = event.after
    if event.kind == Change.STARTED and not Visit.objects.filter(appointment=appointment).exists():
        open_visit(patient=appointment.patient, location=appointment.location, appointment=appointment,
                   actor=event.actor)


def visit_for_appointment(appointment, *, actor) -> Visit:
    """The arrived appointment's visit: the one it has, or a new one opened from it."""
    with transaction.atomic():
        appointment = type(appointment).objects.select_for_update().get(pk=appointment.pk)
        visit = Visit.objects.filter(appointment=appointment).first()
        if visit is not None:
            return visit
        return open_visit(patient=appointment.patient, location=appointment.location, appointment=appointment,
                          actor=actor)


def close_visit(visit: Visit, *, actor) -> Visit:
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if visit.status == Visit.Status.CLOSED:
            raise DomainError(_("This visit is already closed."))
        visit.status = Visit.Status.CLOSED
        visit.closed_at = timezone.now()
        visit.save(update_fields=["status", "closed_at"])
        return visit


@dataclass(frozen=True)
class ManualDiscount:
    """A discount typed by staff: a percent or an amount, always with a reason."""

    percent: Decimal | None = None
    amount: Decimal | None = None
    reason: str = ""


def add_line(
    visit: Visit,
    *,
    service: Service,
    actor,
    quantity=1,
    unit_price=None,
    payer: Payer | None = None,
    practitioner: Practitioner | None = None,
    discount: ManualDiscount | None = None,
) -> VisitLine:
    """Add a service to an open visit and post its charge (and discount) to the ledger."""
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit.pk)
        if payer is None and service.is_active:
            payer = default_payer(visit, service)
        return _add_line(visit, service=service, actor=actor, quantity=quantity, unit_price=unit_price, payer=payer,
                         practitioner=practitioner, discount=discount)


def change_line_payer(line: VisitLine, *, payer: Payer | None, actor) -> VisitLine:
    """Move a line to another payer the rules allow (e.g. a booked service the barter policy
    covers, charged to the patient): the line is voided with the reason and entered again for
    the new payer at the same price and quantity, in one transaction. Returns the new line."""
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=line.visit_id)
        line = VisitLine.objects.select_for_update().select_related("payer", "service").get(pk=line.pk)
        if visit.status != Visit.Status.OPEN:
            raise DomainError(_("This visit is closed; open a new visit to add services."))
        if line.voided_at is not None or line.split_of_id is not None or line.split_rest.exists():
            raise DomainError(_("Only a whole line that is not voided can move to another payer."))
        payer = payer or patient_account(visit.patient)
        if payer.pk == line.payer_id:
            raise DomainError(_("This line is already charged to this payer."), field="payer")
        if line.discount and not payer.rules.allows_discounts:
            raise DomainError(
                _("No promotion or discount applies to lines paid by %(payer)s.")
                % {"payer": payer.get_kind_display().lower()}, field="payer")
        void_line(line, reason=_("Moved to %(payer)s") % {"payer": payer}, actor=actor)
        new = _add_line(visit, service=line.service, actor=actor, quantity=line.quantity,
                        unit_price=line.unit_price if line.price_changed_by_id else None, payer=payer,
                        practitioner=line.practitioner)
        return new


def _add_line(visit, *, service, actor, quantity=1, unit_price=None, payer=None, practitioner=None,
              discount=None) -> VisitLine:
    if visit.status != Visit.Status.OPEN:
        raise DomainError(_("This visit is closed; open a new visit to add services."))
    if not service.is_active:
        raise DomainError(_("This service is no longer offered."), field="service")
    try:
        quantity = int(quantity)
    except (TypeError, ValueError):
        raise DomainError(_("Enter a whole number of at least 1."), field="quantity") from None
    if quantity < 1 or quantity > 999:
        raise DomainError(_("Enter a whole number of at least 1."), field="quantity")
    currency = visit.currency
    list_price = round_money(service.price, currency)
    payer = payer or patient_account(visit.patient)
    if payer.patient_id != visit.patient_id:
        raise DomainError(_("This payer does not cover this patient."), field="payer")
    # A coverage that prices its own lines (a platform order's settlement price) sets the price
    # of a line added without one, and says whether a given price is its own.
    priced_by_coverage = False
    if unit_price is None or unit_price == "":
        own = coverage.unit_price(payer, visit=visit, service=service)
        price = list_price if own is None else round_money(own, currency)
        priced_by_coverage = own is not None
    else:
        price = _amount(unit_price, currency, field="unit_price", allow_zero=True)
        priced_by_coverage = coverage.accepts_price(payer, visit=visit, service=service, unit_price=price)
    if price != list_price and not priced_by_coverage and not (
            actor is not None and actor.has_perm("billing.change_line_price")):
        raise DomainError(_("Your role may not change the price-list price."), field="unit_price")
    gross = round_money(price * quantity, currency)
    if gross >= Decimal("1e12"):
        raise DomainError(_("This amount is too large."), field="quantity")
    shares = coverage.split(payer, visit=visit, service=service, quantity=quantity, gross=gross, actor=actor)
    if len(shares) > 1 or shares[0][0] != payer:
        if discount is not None and (discount.percent or discount.amount):
            _apply_manual_discount(VisitLine(payer=payer, currency=currency), gross, discount, actor)
        return _add_split_line(visit, service=service, actor=actor, quantity=quantity, list_price=list_price,
                               practitioner=practitioner, shares=shares, covered_by=payer)

    line = VisitLine(
        visit=visit,
        service=service,
        description=service.name,
        practitioner=practitioner or visit.practitioner,
        quantity=quantity,
        list_price=list_price,
        unit_price=price,
        price_changed_by=actor if price != list_price and not priced_by_coverage else None,
        vat_rate=service.vat_rate,
        payer=payer,
        currency=currency,
        created_by=actor,
    )
    if discount is not None and (discount.percent or discount.amount):
        _apply_manual_discount(line, gross, discount, actor)
    elif payer.rules.allows_discounts:
        _apply_best_promotion(line, gross, service, clinic_today())
    line.save()
    ledger.post(account=payer, bucket=Bucket.DEBT, kind=Entry.CHARGE, amount=gross, currency=currency,
                visit=visit, line=line, actor=actor)
    if line.discount:
        ledger.post(account=payer, bucket=Bucket.DEBT, kind=Entry.DISCOUNT, amount=-line.discount,
                    currency=currency, visit=visit, line=line, actor=actor,
                    note=line.discount_reason or (line.promotion.name if line.promotion else ""))
    coverage.posted(payer, actor=actor)
    return line


def _add_split_line(visit, *, service, actor, quantity, list_price, practitioner, shares, covered_by) -> VisitLine:
    """A line a coverage takes only in part: one line per payer, each for its share (the
    price-list price stays on each; no promotion applies to a split line)."""
    description = service.name if quantity == 1 else f"{service.name} × {quantity}"
    first = None
    for share_payer, share in shares:
        line = VisitLine.objects.create(
            visit=visit, service=service, description=description,
            practitioner=practitioner or visit.practitioner, quantity=1, list_price=list_price * quantity,
            unit_price=share, vat_rate=service.vat_rate, payer=share_payer, currency=visit.currency,
            created_by=actor, split_of=first, split_quantity=quantity,
        )
        ledger.post(account=share_payer, bucket=Bucket.DEBT, kind=Entry.CHARGE, amount=share,
                    currency=visit.currency, visit=visit, line=line, actor=actor)
        first = first or line
    coverage.posted(covered_by, actor=actor)
    return first


def _apply_manual_discount(line: VisitLine, gross: Decimal, discount: ManualDiscount, actor) -> None:
    if not line.payer.rules.allows_discounts:
        raise DomainError(
            _("No promotion or discount applies to lines paid by %(payer)s.")
            % {"payer": line.payer.get_kind_display().lower()},
            field="discount",
        )
    if actor is None or not actor.has_perm("billing.give_discount"):
        raise DomainError(_("Your role may not give discounts."), field="discount")
    reason = (discount.reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the discount."), field="discount_reason")
    if discount.percent is not None:
        try:
            percent = Decimal(discount.percent)
        except (InvalidOperation, TypeError, ValueError):
            raise DomainError(_("Enter a percent from 0 to 100."), field="discount") from None
        if not percent.is_finite() or percent < 0 or percent > 100:
            raise DomainError(_("Enter a percent from 0 to 100."), field="discount")
        amount = round_money(gross * percent / HUNDRED, line.currency)
    else:
        amount = _amount(discount.amount, line.currency, field="discount")
        if amount > gross:
            raise DomainError(
                _("The discount cannot be more than the line's amount (%(amount)s).")
                % {"amount": _shown(gross, line.currency)},
                field="discount",
            )
    line.discount = amount
    line.discount_reason = reason[:200]
    line.discount_by = actor


def applicable_promotions(service: Service, day: date):
    from django.db.models import Q

    return Promotion.objects.filter(
        Q(service=service) | Q(category_id=service.category_id) | Q(service__isnull=True, category__isnull=True),
        is_active=True,
        valid_from__lte=day,
    ).filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))


def promotion_discount(promotion: Promotion, gross: Decimal, currency: str) -> Decimal:
    if promotion.kind == Promotion.Kind.PERCENT:
        return round_money(gross * promotion.value / HUNDRED, currency)
    return min(round_money(promotion.value, currency), gross)


def clinic_today():
    """Today in the clinic's time zone, whoever calls (a request, a task, a test)."""
    from .reports import clinic_today as today

    return today()


def _apply_best_promotion(line: VisitLine, gross: Decimal, service: Service, day: date) -> None:
    best, best_amount = None, ZERO
    for promotion in applicable_promotions(service, day):
        amount = promotion_discount(promotion, gross, line.currency)
        if amount > best_amount:
            best, best_amount = promotion, amount
    if best is not None:
        line.promotion = best
        line.discount = best_amount


def void_line(line: VisitLine, *, reason: str, actor) -> VisitLine:
    """Take a line back (a mistake): a reversing entry; the line stays, marked voided."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for voiding this line."), field="reason")
    with transaction.atomic():
        Visit.objects.select_for_update().get(pk=line.visit_id)
        line = VisitLine.objects.select_for_update().select_related("payer").get(pk=line.pk)
        if line.voided_at is not None:
            raise DomainError(_("This line is already voided."))
        line.voided_at = timezone.now()
        line.voided_by = actor
        line.void_reason = reason[:200]
        line.save(update_fields=["voided_at", "voided_by", "void_reason"])
        ledger.post(account=line.payer, bucket=Bucket.DEBT, kind=Entry.VOID, amount=-line.net,
                    currency=line.currency, visit=line.visit, line=line, actor=actor, note=line.void_reason)
        coverage.posted(line.payer, actor=actor)  # e.g. the money goes back to a barter limit
        return line


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
                      note: str = "") -> Payment:
    """A coverage pays the patient's own lines of a visit for them (a platform's cash voucher the
    patient bought there): a payment of the patient in ``method`` and, in the same posting, the
    coverage's debt grows by as much. No money moves through the clinic's till and nothing is
    revenue again: the patient's debt −x, the coverage's (so its counterparty's) debt +x.
    Never more than the patient owes for the visit; no club points."""
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
                                         currency=visit.currency, cashier=actor, reason=(note or "")[:200])
        with ledger.posting(Entry.PAYMENT, actor=actor):
            ledger.post(account=account, bucket=Bucket.DEBT, kind=Entry.PAYMENT, amount=-amount,
                        currency=visit.currency, method=method, visit=visit, payment=payment, actor=actor, note=note)
            # The coverage takes over what the patient no longer owes: a charge to it with no
            # leg on the clinic's books (the patient's charge was the revenue already).
            ledger.post(account=coverage_payer, bucket=Bucket.DEBT, kind=Entry.CHARGE, amount=amount,
                        currency=visit.currency, method=method, visit=visit, payment=payment, actor=actor,
                        note=note, against="")
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

    from .models import LedgerEntry

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

    from .models import LedgerEntry

    earned = LedgerEntry.objects.filter(payment=payment, kind=Entry.POINTS_EARNED).aggregate(
        total=Sum("points"))["total"] or 0
    if not earned:
        return 0
    taken = -(LedgerEntry.objects.filter(payment__refund_of=payment, kind=Entry.POINTS_EARNED).aggregate(
        total=Sum("points"))["total"] or 0)
    share = int((earned * amount / payment.amount).to_integral_value(rounding=ROUND_HALF_UP))
    return min(share, earned - taken)


# --- deposits ------------------------------------------------------------------------------


def receive_deposit(*, patient, amount, method: str, actor, currency: str = "", note: str = "") -> Deposit:
    currency = _check_currency(currency)
    if method not in DEPOSIT_METHODS:
        raise DomainError(_("A deposit is paid in cash, by card or by bank transfer."), field="method")
    amount = _amount(amount, currency)
    with transaction.atomic():
        account = patient_account(patient)
        deposit = Deposit.objects.create(patient=patient, amount=amount, currency=currency, method=method,
                                         note=(note or "").strip()[:200], received_by=actor)
        ledger.post(account=account, bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_RECEIVED, amount=amount,
                    currency=currency, method=method, deposit=deposit, actor=actor,
                    note=deposit.note)
        return deposit


def refund_deposit(deposit: Deposit, *, amount, reason: str, actor) -> Deposit:
    """Return unused deposit money to the patient, the way it was paid."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the refund."), field="reason")
    with transaction.atomic():
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        amount = _amount(amount, deposit.currency)
        remaining = ledger.deposit_remaining(deposit)
        if amount > remaining:
            raise DomainError(
                _("This deposit has %(remaining)s left.") % {"remaining": _shown(remaining, deposit.currency)},
                field="amount",
            )
        ledger.post(account=patient_account(deposit.patient), bucket=Bucket.DEPOSIT, kind=Entry.DEPOSIT_REFUNDED,
                    amount=-amount, currency=deposit.currency, method=deposit.method,
                    deposit=deposit, actor=actor, note=reason)
        return deposit


# --- promotions, settings ------------------------------------------------------------------


def save_promotion(promotion: Promotion | None, *, actor, data: dict) -> Promotion:
    promotion = promotion or Promotion()
    kind = data.get("kind")
    if kind not in Promotion.Kind.values:
        raise DomainError(_("Choose percent or a fixed amount."), field="kind")
    if kind == Promotion.Kind.PERCENT:  # a percent has two decimals, whatever the currency's minor unit
        value = _amount(data.get("value"), "", field="value")
        if value > 100:
            raise DomainError(_("Enter a percent from 0 to 100."), field="value")
    else:
        value = _amount(data.get("value"), clinic_currency(), field="value")
    if data.get("service") and data.get("category"):
        raise DomainError(_("Choose a service or a category, not both."), field="category")
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if valid_from is None:
        raise DomainError(_("Enter the first day."), field="valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("The last day is before the first."), field="valid_until")
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    promotion.name = name[:120]
    promotion.kind = kind
    promotion.value = value
    promotion.service = data.get("service")
    promotion.category = data.get("category")
    promotion.valid_from, promotion.valid_until = valid_from, valid_until
    promotion.is_active = data.get("is_active", True)
    with transaction.atomic():
        promotion.save()
    return promotion


def update_billing_settings(*, points_per_unit, point_value, actor) -> BillingSettings:
    try:
        rate = Decimal(points_per_unit)
    except (InvalidOperation, TypeError, ValueError):
        raise DomainError(_("Enter a number of 0 or more."), field="points_per_unit") from None
    if not rate.is_finite() or rate < 0 or rate > 1000:
        raise DomainError(_("Enter a number of 0 or more."), field="points_per_unit")
    value = _amount(point_value, clinic_currency(), field="point_value")
    with transaction.atomic():
        club = BillingSettings.objects.select_for_update().get(pk=BillingSettings.load().pk)
        club.points_per_unit = rate.quantize(Decimal("0.0001"))
        club.point_value = value
        club.save()
        return club


# --- CRM -------------------------------------------------------------------------------------


def add_activity(*, patient, kind: str, subject: str, due_date: date, assignee, actor) -> Activity:
    if kind not in Activity.Kind.values:
        raise DomainError(_("Choose a kind from the list."), field="kind")
    subject = (subject or "").strip()
    if not subject:
        raise DomainError(_("Say what is to be done."), field="subject")
    if due_date is None:
        raise DomainError(_("Enter the due date."), field="due_date")
    if assignee is None or not assignee.is_active:
        raise DomainError(_("Choose an active staff member."), field="assignee")
    return Activity.objects.create(patient=patient, kind=kind, subject=subject[:200], due_date=due_date,
                                   assignee=assignee, created_by=actor)


def finish_activity(activity: Activity, *, outcome: str, actor, cancelled: bool = False) -> Activity:
    with transaction.atomic():
        activity = Activity.objects.select_for_update().get(pk=activity.pk)
        if activity.status != Activity.Status.OPEN:
            raise DomainError(_("This task is already finished."))
        outcome = (outcome or "").strip()
        if not outcome:
            raise DomainError(_("Write the outcome."), field="outcome")
        activity.status = Activity.Status.CANCELLED if cancelled else Activity.Status.DONE
        activity.outcome = outcome
        activity.done_at = timezone.now()
        activity.save(update_fields=["status", "outcome", "done_at"])
        return activity
