"""Payers, visits and their lines: the payer of each line (per service), charges, discounts
and promotions, voided lines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from clinic.errors import DomainError
from clinic.models import Practitioner, Service
from clinic.money import ZERO, round_money
from clinic.services import clinic_currency
from clinic.texts import source_text, system_text, words_or_text

from .. import coverage, ledger
from ..models import (
    Bucket,
    Entry,
    Payer,
    PayerKind,
    Promotion,
    Visit,
    VisitLine,
)
from ._common import (
    HUNDRED,
    VISIT_STATUSES,
    _amount,
    _shown,
    clinic_today,
    whole_quantity,
)

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
        void_line(line, reason=system_text(gettext_noop("Moved to %(payer)s"), payer=payer.as_text()), actor=actor)
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
    quantity = whole_quantity(quantity)
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



def _apply_best_promotion(line: VisitLine, gross: Decimal, service: Service, day: date) -> None:
    best, best_amount = None, ZERO
    for promotion in applicable_promotions(service, day):
        amount = promotion_discount(promotion, gross, line.currency)
        if amount > best_amount:
            best, best_amount = promotion, amount
    if best is not None:
        line.promotion = best
        line.discount = best_amount


def void_line(line: VisitLine, *, reason: str | dict, actor) -> VisitLine:
    """Take a line back (a mistake): a reversing entry; the line stays, marked voided. ``reason``
    is a person's words, or the system's reason as a ``clinic.texts.system_text`` (kept as data,
    read in the reader's language)."""
    reason, details = words_or_text(reason)
    reason = reason.strip()
    if not reason and not details:
        raise DomainError(_("Give the reason for voiding this line."), field="reason")
    with transaction.atomic():
        Visit.objects.select_for_update().get(pk=line.visit_id)
        line = VisitLine.objects.select_for_update().select_related("payer").get(pk=line.pk)
        if line.voided_at is not None:
            raise DomainError(_("This line is already voided."))
        line.voided_at = timezone.now()
        line.voided_by = actor
        line.void_reason, line.void_details = reason[:200], details
        line.save(update_fields=["voided_at", "voided_by", "void_reason", "void_details"])
        ledger.post(account=line.payer, bucket=Bucket.DEBT, kind=Entry.VOID, amount=-line.net,
                    currency=line.currency, visit=line.visit, line=line, actor=actor,
                    note=line.void_reason or source_text(details))
        coverage.posted(line.payer, actor=actor)  # e.g. the money goes back to a barter limit
        return line


