"""Barter operations: agreements, policies, limit increases, and the coverage that
decides how much of a line a policy takes.

A policy's spent amount is the sum of the charges, discounts and voided lines on
its payer's account in the ledger; remaining is its limit (the initial amount
plus every increase) less that. Charging a line locks the policy first, so
concurrent charges can never spend above the limit: what a line needs beyond
the remaining amount goes to the agreement's overspend payer (the company, or
the patient).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from billing import ledger
from billing.models import Bucket, Counterparty, Entry, Payer, PayerKind
from billing.services import clinic_today, parse_amount, patient_account, whole_quantity
from clinic.errors import DomainError
from clinic.money import ZERO
from clinic.services import clinic_currency
from clinic.texts import system_text, words_or_text

from .models import Agreement, LimitIncrease, PlanItem, Policy, TreatmentPlan, WriteOff

BARTER_FLAG = "barter"


@dataclass(frozen=True)
class Figures:
    limit: Decimal
    spent: Decimal

    @property
    def remaining(self) -> Decimal:
        return max(self.limit - self.spent, ZERO)


def figures(policy: Policy) -> Figures:
    """A policy's limit (the initial amount and every increase) and what it has spent: the
    ledger's sum over its payer (``billing.ledger.spent_by``), the one answer the policy page,
    the barter list, the report and the write-off all read."""
    increases = policy.increases.aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    return Figures(limit=policy.initial_limit + increases, spent=ledger.spent_by(policy.payer_id))


def agreement_counterparty(agreement: Agreement) -> Counterparty:
    """The agreement's company (or public person) as the clinic's counterparty, made once."""
    if agreement.counterparty_id is not None:
        return agreement.counterparty
    counterparty, _created = Counterparty.objects.get_or_create(
        kind=Counterparty.Kind.BARTER_COMPANY, reference=f"agreement:{agreement.pk}",
        defaults={"name": agreement.name[:200], "currency": clinic_currency()})
    Agreement.objects.filter(pk=agreement.pk).update(counterparty=counterparty)
    agreement.counterparty = counterparty
    return counterparty


# --- agreements and policies -------------------------------------------------------------------


def save_agreement(agreement: Agreement | None, *, data: dict, actor) -> Agreement:
    agreement = agreement or Agreement()
    name = (data.get("name") or "").strip()
    if not name:
        raise DomainError(_("Enter a name."), field="name")
    if data.get("kind") not in Agreement.Kind.values:
        raise DomainError(_("Choose a kind from the list."), field="kind")
    if data.get("overspend") not in Agreement.Overspend.values:
        raise DomainError(_("Say who pays beyond the limit."), field="overspend")
    valid_from, valid_until = data.get("valid_from"), data.get("valid_until")
    if valid_from is None:
        raise DomainError(_("Enter the first day."), field="valid_from")
    if valid_until is not None and valid_until < valid_from:
        raise DomainError(_("The last day is before the first."), field="valid_until")
    services, categories = list(data.get("services") or []), list(data.get("categories") or [])
    if not services and not categories:
        raise DomainError(_("Choose the services or categories the agreement covers."), field="services")
    with transaction.atomic():
        agreement.kind, agreement.overspend, agreement.name = data["kind"], data["overspend"], name[:200]
        agreement.legal_details = (data.get("legal_details") or "").strip()
        agreement.contact = (data.get("contact") or "").strip()[:200]
        agreement.valid_from, agreement.valid_until = valid_from, valid_until
        if data.get("document"):
            # A CheckedUpload (clinic.uploads): stored under a generated name.
            agreement.document = data["document"].as_django_file()
        agreement.save()
        counterparty = agreement_counterparty(agreement)
        if counterparty.name != agreement.name:  # the name follows; the key never changes
            Counterparty.objects.filter(pk=counterparty.pk).update(name=agreement.name)
        agreement.services.set(services)
        agreement.categories.set(categories)
    return agreement


def register_policy(*, agreement: Agreement, patient, number: str, limit, actor) -> Policy:
    """Marketing records a barter patient; a senior administrator reviews before booking."""
    from clinic.patients.models import Flag
    from clinic.patients.services import set_flag

    number = (number or "").strip()
    if not number:
        raise DomainError(_("Enter the policy number."), field="number")
    currency = clinic_currency()
    limit = parse_amount(limit, currency, field="limit")
    with transaction.atomic():
        if Policy.objects.filter(agreement=agreement, number__iexact=number).exists():
            raise DomainError(_("This agreement already has a policy with this number."), field="number")
        counterparty = agreement_counterparty(agreement)
        payer = Payer.objects.create(kind=PayerKind.BARTER_POLICY, patient=patient, counterparty=counterparty,
                                     name=f"{agreement.name} · {number}")
        if agreement.overspend == Agreement.Overspend.COMPANY:
            overspend = Payer.objects.create(kind=PayerKind.BARTER_COMPANY, patient=patient,
                                             counterparty=counterparty, name=agreement.name)
        else:
            overspend = patient_account(patient)
        policy = Policy.objects.create(agreement=agreement, patient=patient, number=number[:40],
                                       initial_limit=limit, currency=currency, payer=payer,
                                       overspend_payer=overspend, created_by=actor)
        flag = Flag.objects.filter(code=BARTER_FLAG).first()
        if flag is not None:
            set_flag(patient, flag, actor=actor, origin=BARTER_FLAG)
    return policy


class EmployeesRefused(DomainError):
    """Lines of an employee list that could not be recorded (so none was)."""

    def __init__(self, errors: list[str]):
        super().__init__(errors[0], field="employees")
        self.errors = errors

    def add_to(self, form) -> None:
        for error in self.errors:
            form.add_error(self.field, error)


@dataclass(frozen=True)
class Employee:
    """One line of marketing's list of a company's employees."""

    line: int
    number: str
    last_name: str
    first_name: str
    phone: str
    limit: Decimal


def register_employees(agreement: Agreement, employees: list[Employee], *, actor) -> list[Policy]:
    """Several employees of a company in one go: all are recorded, or none (every refused line is named).

    A phone that already belongs to a patient of the same name records that patient; a phone of
    somebody else is refused (the one-patient form decides who shares a phone)."""
    from clinic.patients.services import PatientData, PhoneInUse, register_patient_in

    policies, errors = [], []
    with transaction.atomic():
        for employee in employees:
            try:
                with transaction.atomic():
                    data = PatientData(first_name=employee.first_name, last_name=employee.last_name,
                                       phone=employee.phone, source="barter")
                    try:
                        patient = register_patient_in(data, actor=actor)
                    except PhoneInUse as in_use:
                        patient = next((owner for owner in in_use.owners
                                        if owner.first_name.casefold() == employee.first_name.casefold()
                                        and owner.last_name.casefold() == employee.last_name.casefold()), None)
                        if patient is None:
                            raise DomainError(_("the phone belongs to %(owner)s; record this employee on the "
                                                "one-patient form.") % {"owner": in_use.owners[0].full_name}) from None
                    policies.append(register_policy(agreement=agreement, patient=patient, number=employee.number,
                                                    limit=employee.limit, actor=actor))
            except DomainError as error:
                errors.append(_("Line %(line)s: %(message)s") % {"line": employee.line, "message": error.message})
        if errors:
            raise EmployeesRefused(errors)
    return policies


def review_policy(policy: Policy, *, actor) -> Policy:
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        if policy.review == Policy.Review.APPROVED:
            raise DomainError(_("This policy is already reviewed."))
        policy.review = Policy.Review.APPROVED
        policy.reviewed_by, policy.reviewed_at = actor, timezone.now()
        policy.save(update_fields=["review", "reviewed_by", "reviewed_at"])
        return policy


def increase_limit(policy: Policy, *, amount, reason: str | dict, actor) -> LimitIncrease:
    """Raise the policy's limit by ``amount``: ``reason`` is a person's words, or the system's
    reason as a ``clinic.texts.system_text`` (kept as data, read in the reader's language)."""
    reason, details = words_or_text(reason)
    reason = reason.strip()
    if not reason and not details:
        raise DomainError(_("Say why the limit is increased."), field="reason")
    with transaction.atomic():
        policy = Policy.objects.select_for_update().get(pk=policy.pk)
        amount = parse_amount(amount, policy.currency, field="amount")
        increase = LimitIncrease.objects.create(policy=policy, amount=amount, reason=reason[:200],
                                                reason_details=details, added_by=actor)
        refresh_flag(policy, actor=actor)
        return increase


PAYS_WITH_MONEY = system_text(gettext_noop("Patient pays with money — barter limit exhausted."))


def refresh_flag(policy: Policy, *, actor) -> None:
    """The pink mark is on while the patient has barter money left on any policy, and off
    once it is exhausted; the next appointment then says the patient pays with money (a notice,
    taken off the patient's appointments again when money is back)."""
    from clinic.patients.models import Flag
    from clinic.patients.services import remove_flag, set_flag
    from clinic.scheduling.models import LIVE_STATUSES, Appointment

    flag = Flag.objects.filter(code=BARTER_FLAG).first()
    if flag is None:
        return
    patient = policy.patient
    left = any(figures(other).remaining > 0 for other in Policy.objects.filter(patient=patient))
    if left:
        set_flag(patient, flag, actor=actor, origin=BARTER_FLAG)
        for appointment in Appointment.objects.select_for_update().filter(
                patient=patient, starts_at__gte=timezone.now(), notices__contains=[PAYS_WITH_MONEY]):
            appointment.notices = [notice for notice in appointment.notices if notice != PAYS_WITH_MONEY]
            appointment.save(update_fields=["notices", "updated"])
        return
    if patient.flag_links.filter(flag=flag).exists():
        remove_flag(patient, flag, actor=actor)
    upcoming = (Appointment.objects.select_for_update()
                .filter(patient=patient, starts_at__gte=timezone.now(), status__in=LIVE_STATUSES)
                .order_by("starts_at").first())
    if upcoming is not None and PAYS_WITH_MONEY not in upcoming.notices:
        upcoming.notices = [PAYS_WITH_MONEY, *upcoming.notices]
        upcoming.save(update_fields=["notices", "updated"])


# --- the coverage ---------------------------------------------------------------------------------


def _covers(agreement: Agreement, service) -> bool:
    return (agreement.services.filter(pk=service.pk).exists()
            or agreement.categories.filter(pk=service.category_id).exists())


def policy_payer(visit, service) -> Payer | None:
    """Billing's default payer of a visit's line: the patient's reviewed barter policy when its
    agreement covers the service today (and, for a public person, the approved plan still
    holds it); otherwise None, and the patient pays."""
    today = clinic_today()
    policies = (Policy.objects.filter(patient_id=visit.patient_id, review=Policy.Review.APPROVED,
                                      write_off__isnull=True)
                .select_related("agreement", "payer").order_by("created", "pk"))
    for policy in policies:
        agreement = policy.agreement
        if not _valid_on(agreement, today) or not _covers(agreement, service):
            continue
        if agreement.kind == Agreement.Kind.PUBLIC_PERSON:
            try:
                _check_plan(policy, service, 1)
            except DomainError:
                continue
        return policy.payer
    return None


class BarterCoverage:
    """How much of a line a barter policy takes: up to what remains of its limit."""

    def split(self, payer: Payer, *, visit, service, quantity: int, gross: Decimal, actor):
        policy = (Policy.objects.select_for_update().select_related("agreement", "overspend_payer")
                  .get(payer=payer))
        agreement = policy.agreement
        today = clinic_today()
        if policy.review != Policy.Review.APPROVED:
            raise DomainError(_("This barter policy has not been reviewed yet."), field="payer")
        if WriteOff.objects.filter(policy=policy).exists():
            raise DomainError(_("This barter policy is closed: its treatment was written off."), field="payer")
        if agreement.kind == Agreement.Kind.PUBLIC_PERSON:
            _check_plan(policy, service, quantity)
        if not _valid_on(agreement, today):
            raise DomainError(_("The barter agreement is not valid today."), field="payer")
        if not _covers(agreement, service):
            raise DomainError(_("The barter agreement does not cover this service."), field="service")
        if gross == 0:
            return [(payer, gross)]
        remaining = figures(policy).remaining
        covered = min(gross, remaining)
        shares = []
        if covered > 0:
            shares.append((payer, covered))
        if gross > covered:
            shares.append((policy.overspend_payer, gross - covered))
        return shares

    def posted(self, payer: Payer, *, actor) -> None:
        refresh_flag(Policy.objects.select_related("patient").get(payer=payer), actor=actor)


def _valid_on(agreement: Agreement, day: date) -> bool:
    return agreement.valid_from <= day and (agreement.valid_until is None or day <= agreement.valid_until)


# --- public persons: the treatment plan and the write-off ------------------------------------------


def _check_plan(policy: Policy, service, quantity: int) -> None:
    """A public person's policy pays only what the approved plan holds (with the sales
    head's extras), each service as many times as planned."""
    plan = TreatmentPlan.objects.filter(policy=policy).first()
    if plan is None or plan.status != TreatmentPlan.Status.APPROVED:
        raise DomainError(_("Marketing has not approved this patient's treatment plan yet."), field="payer")
    planned = plan.items.filter(service=service).aggregate(total=Coalesce(Sum("quantity"), 0))["total"]
    charged = ledger.charged_quantity(policy.payer_id, service)
    if charged + quantity > planned:
        raise DomainError(
            _("This is outside the approved treatment plan: the sales head must approve it first."),
            field="service",
        )


def _public_person_policy(policy: Policy) -> None:
    if policy.agreement.kind != Agreement.Kind.PUBLIC_PERSON:
        raise DomainError(_("Treatment plans are for public persons' agreements."))


def draft_plan(policy: Policy, *, items: list[tuple[object, int]], actor) -> TreatmentPlan:
    """A doctor drafts (or redrafts) the plan: services from the price list, how many of each."""
    _public_person_policy(policy)
    if not items:
        raise DomainError(_("Add at least one service to the plan."), field="service")
    with transaction.atomic():
        plan, _created = TreatmentPlan.objects.select_for_update().get_or_create(
            policy=policy, defaults={"drafted_by": actor})
        if plan.status == TreatmentPlan.Status.APPROVED:
            raise DomainError(_("The plan is approved: treatment outside it needs the sales head's approval."))
        plan.items.all().delete()
        for service, quantity in items:
            _plan_item_checks(policy, service, quantity)
            PlanItem.objects.create(plan=plan, service=service, quantity=int(quantity), added_by=actor)
        return plan


def add_plan_item(policy: Policy, *, service, quantity, actor) -> PlanItem:
    """A doctor adds a service to the draft plan (the plan is created with its first item)."""
    _public_person_policy(policy)
    with transaction.atomic():
        plan, _created = TreatmentPlan.objects.select_for_update().get_or_create(
            policy=policy, defaults={"drafted_by": actor})
        if plan.status == TreatmentPlan.Status.APPROVED:
            raise DomainError(_("The plan is approved: treatment outside it needs the sales head's approval."))
        _plan_item_checks(policy, service, quantity)
        return PlanItem.objects.create(plan=plan, service=service, quantity=int(quantity), added_by=actor)


def _plan_item_checks(policy: Policy, service, quantity) -> None:
    if service is None or not service.is_active:
        raise DomainError(_("Choose a service from the price list."), field="service")
    if not _covers(policy.agreement, service):
        raise DomainError(_("The barter agreement does not cover this service."), field="service")
    whole_quantity(quantity)


def approve_plan(plan: TreatmentPlan, *, actor, new_limit=None) -> TreatmentPlan:
    """Marketing approves the plan and may raise the limit to what it costs."""
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().select_related("policy").get(pk=plan.pk)
        if plan.status == TreatmentPlan.Status.APPROVED:
            raise DomainError(_("The plan is already approved."))
        if not plan.items.exists():
            raise DomainError(_("Add at least one service to the plan."))
        if new_limit not in (None, ""):
            target = parse_amount(new_limit, plan.policy.currency, field="limit")
            current = figures(plan.policy).limit
            if target < current:
                raise DomainError(_("A limit is only ever increased."), field="limit")
            if target > current:
                increase_limit(plan.policy, amount=target - current, reason=system_text(gettext_noop("Treatment plan approved")),
                               actor=actor)
        plan.status = TreatmentPlan.Status.APPROVED
        plan.approved_by, plan.approved_at = actor, timezone.now()
        plan.save(update_fields=["status", "approved_by", "approved_at"])
        return plan


def approve_extra(plan: TreatmentPlan, *, service, quantity, actor) -> PlanItem:
    """The sales head approves treatment beyond the approved plan."""
    with transaction.atomic():
        plan = TreatmentPlan.objects.select_for_update().select_related("policy__agreement").get(pk=plan.pk)
        if plan.status != TreatmentPlan.Status.APPROVED:
            raise DomainError(_("Marketing approves the plan first."))
        _plan_item_checks(plan.policy, service, quantity)
        return PlanItem.objects.create(plan=plan, service=service, quantity=int(quantity), approved_extra=True,
                                       added_by=actor)


def write_off(policy: Policy, *, actor, note: str = "") -> WriteOff:
    """At the end of treatment finance writes the barter debt off: what the policy still
    owes leaves its account (not cash, not revenue: the revenue was the charges), and
    the policy is closed."""
    with transaction.atomic():
        policy = Policy.objects.select_for_update().select_related("payer").get(pk=policy.pk)
        if WriteOff.objects.filter(policy=policy).exists():
            raise DomainError(_("This policy is already written off."))
        owed = ledger.owed_by(policy.payer_id)
        record = WriteOff.objects.create(policy=policy, amount=owed, currency=policy.currency,
                                         note=(note or "").strip()[:200], written_off_by=actor)
        if owed:
            ledger.post(account=policy.payer, bucket=Bucket.DEBT, kind=Entry.WRITE_OFF, amount=-owed,
                        currency=policy.currency, actor=actor, note=record.note)
        return record


FIRST_VISIT_OF_A_PUBLIC_PERSON = timedelta(minutes=60)


def first_visit_duration(patient, duration: timedelta) -> timedelta:
    """A public person's first visit is booked for 60 minutes (seed 002)."""
    from clinic.scheduling.models import Appointment, Status

    if duration >= FIRST_VISIT_OF_A_PUBLIC_PERSON:
        return duration
    if not Policy.objects.filter(patient=patient, agreement__kind=Agreement.Kind.PUBLIC_PERSON).exists():
        return duration
    if Appointment.objects.filter(patient=patient).exclude(status=Status.CANCELLED).exists():
        return duration
    return FIRST_VISIT_OF_A_PUBLIC_PERSON
