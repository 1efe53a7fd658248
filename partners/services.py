"""A clinic's partners: adding a partner company (new → registration, existing → invitation),
its terms here, the traffic channels, and the bookings its users make from the portal.

Every operation is one transaction. Work on the public schema (the partner company, its users,
the clinic link) runs in ``schema_context("public")`` inside the same transaction.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from auditlog.context import auditlog_value, set_extra_data
from django.core.validators import validate_email
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_tenants.utils import schema_context

from clinic.errors import DomainError
from clinic.models import Location, Service
from clinic.money import round_money
from clinic.patients.services import NEW_SHARING
from clinic.services import clinic_currency
from clinic.tasks import send_email_after_commit
from partners.organisations.models import ClinicLink, PartnerOrganisation, PartnerUser
from partners.organisations.services import (  # noqa: F401 - registration_link re-exported
    public_url,
    registration_link,
    terms_accepted,
)

from .models import PartnerBooking, Partnership, PatientSearch, PaymentPlace, reference_code

HUNDRED = Decimal(100)
SEARCH_MIN_CHARS = 3
SEARCH_MAX_RESULTS = 10
NO_PATIENT_ACCESS = gettext_lazy("Enter the patient's details: your company does not search the clinic's patients.")


# --- adding and changing partners (clinic side) ---------------------------------------


@dataclass
class PartnerData:
    """The partner company as the clinic's manager enters it."""

    name: str
    registration_number: str
    kind: str
    contact_name: str
    contact_email: str
    address: str = ""


@dataclass
class PartnerTerms:
    """What the partner may do at this clinic."""

    location_ids: list[int] = field(default_factory=list)
    commission: bool = False
    commission_percent: object = 0
    payment_place: str = PaymentPlace.CLINIC
    patient_data_access: bool = False


def _check_terms(terms: PartnerTerms) -> tuple[list[Location], Decimal]:
    if terms.payment_place not in PaymentPlace.values:
        raise DomainError(_("Choose where the patient pays."), field="payment_place")
    try:
        percent = Decimal(str(terms.commission_percent or 0))
    except InvalidOperation:
        raise DomainError(_("Enter a percent from 0 to 100."), field="commission_percent") from None
    if not percent.is_finite() or percent < 0 or percent > 100:
        raise DomainError(_("Enter a percent from 0 to 100."), field="commission_percent")
    if terms.commission and percent == 0:
        raise DomainError(_("Enter the commission percent, or turn the commission off."), field="commission_percent")
    locations = list(Location.objects.filter(pk__in=terms.location_ids, is_active=True))
    if not locations or len(locations) != len(set(terms.location_ids)):
        raise DomainError(_("Choose at least one open location the partner may book at."), field="locations")
    return locations, percent.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _check_company(data: PartnerData) -> PartnerData:
    data.name, data.registration_number = data.name.strip(), data.registration_number.strip()
    data.contact_name, data.contact_email = data.contact_name.strip(), data.contact_email.strip().lower()
    if not data.name:
        raise DomainError(_("Enter the company's name."), field="name")
    if not data.registration_number:
        raise DomainError(_("Enter the company's registration number."), field="registration_number")
    if data.kind not in PartnerOrganisation.Kind.values:
        raise DomainError(_("Choose a type from the list."), field="kind")
    if not data.contact_name:
        raise DomainError(_("Enter the contact person."), field="contact_name")
    try:
        validate_email(data.contact_email)
    except Exception:
        raise DomainError(_("Enter a valid email address."), field="contact_email") from None
    return data


@contextmanager
def _audited_in_public(actor):
    """Audit entries of public rows written from a clinic name the clinic's user by email only:
    the user's id belongs to the clinic's schema, not to the public one (its foreign key would
    fail, or name someone else). The clinic's own entries keep their actor afterwards."""
    previous = auditlog_value.get(None)
    try:
        with set_extra_data({"actor": None, "actor_email": getattr(actor, "email", None)}):
            yield
    finally:
        if previous is not None:
            auditlog_value.set(previous)


def add_partner(data: PartnerData, terms: PartnerTerms, *, actor) -> Partnership:
    """A manager adds a partner company to the clinic.

    A company new to the system (by registration number) is created with its contact person as
    its first user, who gets an email to register and accept the terms; a company already in
    the system gets an invitation its users approve in the portal. Until then it cannot book.
    """
    from clinic.accounts.models import User

    clinic = connection.tenant
    data = _check_company(data)
    locations, percent = _check_terms(terms)
    with transaction.atomic():
        with schema_context("public"), _audited_in_public(actor):
            organisation = PartnerOrganisation.objects.filter(
                registration_number__iexact=data.registration_number).first()
            new_company = organisation is None
            if new_company:
                if User.objects.filter(email__iexact=data.contact_email).exists():
                    raise DomainError(_("This email address already has an account."), field="contact_email")
                organisation = PartnerOrganisation.objects.create(
                    name=data.name, registration_number=data.registration_number, kind=data.kind,
                    address=data.address.strip(), contact_name=data.contact_name, contact_email=data.contact_email)
                contact = User.objects.create_user(data.contact_email, data.contact_name, password=None)
                PartnerUser.objects.create(user=contact, organisation=organisation, can_book=True,
                                           manages_users=True, sees_finance=True)
                link_to_register = registration_link(contact)
            link = ClinicLink.objects.filter(organisation=organisation, clinic_id=clinic.pk).first()
            if link is not None and link.status in (ClinicLink.Status.INVITED, ClinicLink.Status.ACTIVE):
                raise DomainError(_("%(partner)s is already a partner of this clinic.") % {"partner": organisation},
                                  field="registration_number")
            if link is None:
                link = ClinicLink(organisation=organisation, clinic_id=clinic.pk)
            link.status, link.invited_at, link.responded_at, link.responded_by = (
                ClinicLink.Status.INVITED, timezone.now(), None, None)
            link.save()
        partnership = Partnership.objects.filter(organisation_id=organisation.pk).first()
        if partnership is None:
            partnership = Partnership(organisation_id=organisation.pk, added_by=actor)
        partnership.removed_at, partnership.removed_by = None, None
        partnership.commission, partnership.commission_percent = terms.commission, percent
        partnership.payment_place, partnership.patient_data_access = terms.payment_place, terms.patient_data_access
        partnership.save()
        partner_counterparty(partnership, name=organisation.name)
        partnership.locations.set(locations)
        context = {"clinic": clinic.name, "organisation": organisation, "portal": public_url(reverse(
            "portal_home", urlconf="config.urls_public"))}
        with translation.override(recipient_language(organisation)):
            if new_company:
                context["link"] = link_to_register
                subject = _("%(clinic)s invites you to book through Clinic Channels") % context
                body = render_to_string("partners/email/registration.txt", context)
            else:
                subject = _("%(clinic)s added you as a partner") % context
                body = render_to_string("partners/email/invitation.txt", context)
        send_email_after_commit(subject, body, [organisation.contact_email])
    partnership.new_company = new_company  # the screen says: registration email, or invitation
    return partnership


def change_terms(partnership: Partnership, terms: PartnerTerms, *, actor) -> Partnership:
    locations, percent = _check_terms(terms)
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if partnership.is_removed:
            raise DomainError(_("This partner was removed."))
        partnership.commission, partnership.commission_percent = terms.commission, percent
        partnership.payment_place, partnership.patient_data_access = terms.payment_place, terms.patient_data_access
        partnership.save()
        partnership.locations.set(locations)
    return partnership


def remove_partner(partnership: Partnership, *, actor) -> Partnership:
    """The partner can no longer book here; its bookings and their history stay."""
    clinic = connection.tenant
    with transaction.atomic():
        partnership = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if partnership.is_removed:
            raise DomainError(_("This partner was removed already."))
        partnership.removed_at, partnership.removed_by = timezone.now(), actor
        partnership.save(update_fields=["removed_at", "removed_by"])
        with schema_context("public"):
            ClinicLink.objects.filter(organisation_id=partnership.organisation_id, clinic_id=clinic.pk).update(
                status=ClinicLink.Status.REMOVED)
    return partnership


def link_status(partnership: Partnership) -> str:
    """The link's status as the public schema holds it (invited, active, declined, removed)."""
    clinic = connection.tenant
    link = ClinicLink.objects.filter(organisation_id=partnership.organisation_id, clinic_id=clinic.pk).first()
    return link.status if link is not None else ClinicLink.Status.REMOVED


def set_channels(partnership_services: dict[int, set[int]], *, actor) -> None:
    """The traffic channels matrix saved at once: for each partnership, the services it may book."""
    with transaction.atomic():
        partnerships = Partnership.objects.select_for_update().filter(pk__in=list(partnership_services),
                                                                      removed_at__isnull=True)
        found = {p.pk: p for p in partnerships}
        if len(found) != len(partnership_services):
            raise DomainError(_("A partner in the list was removed meanwhile. Please reload."))
        wanted = set().union(*partnership_services.values()) if partnership_services else set()
        services = {s.pk for s in Service.objects.filter(pk__in=wanted)}
        if services != wanted:
            raise DomainError(_("A chosen service does not exist."))
        for pk, service_ids in partnership_services.items():
            found[pk].services.set(service_ids)


# --- the portal side: acting for a partner user at a clinic ------------------------------


def _linked_clinics(organisation, *statuses):
    """The clinics whose link with the company is in one of ``statuses`` (public schema), by name."""
    from clinic.tenants.models import Clinic

    return Clinic.objects.filter(partner_links__organisation=organisation,
                                 partner_links__status__in=statuses).order_by("name")


def active_clinics(organisation):
    """The clinics a partner company may book at now (public schema)."""
    with schema_context("public"):
        return list(_linked_clinics(organisation, ClinicLink.Status.ACTIVE))


def account_clinics(organisation):
    """The clinics whose partner account the company may read: those it works with, and those
    that removed it (the months it worked there stay readable for both sides)."""
    with schema_context("public"):
        return list(_linked_clinics(organisation, ClinicLink.Status.ACTIVE, ClinicLink.Status.REMOVED))


def partnership_for(member: PartnerUser) -> Partnership:
    """The current clinic's partnership with the member's company; refused unless the link is
    active, the terms accepted and the partner not removed (call inside the clinic's schema)."""
    clinic = connection.tenant
    with schema_context("public"):
        active = ClinicLink.objects.filter(organisation_id=member.organisation_id, clinic_id=clinic.pk,
                                           status=ClinicLink.Status.ACTIVE).exists()
    if not active or terms_accepted(member.organisation) is None:
        raise DomainError(_("Your company cannot book at this clinic."))
    partnership = Partnership.objects.filter(organisation_id=member.organisation_id,
                                             removed_at__isnull=True).first()
    if partnership is None:
        raise DomainError(_("Your company cannot book at this clinic."))
    return partnership


def _check_booking(member: PartnerUser, partnership: Partnership, *, location, service_ids: list[int]):
    if not member.can_book:
        raise DomainError(_("Your user may not book: ask your company's administrator."))
    if not partnership.locations.filter(pk=location.pk).exists():
        raise DomainError(_("Your company may not book at this location."), field="location")
    allowed = set(partnership.services.filter(pk__in=service_ids, is_active=True).values_list("pk", flat=True))
    if not service_ids or allowed != set(service_ids):
        raise DomainError(_("Your company may not book this service here."), field="services")


def _name(user) -> str:
    return user.full_name or user.email


def book_for_partner(
    member: PartnerUser, *, location, practitioner, starts_at: datetime, service_ids: list[int],
    patient=None, new_patient=None, note: str = "",
) -> PartnerBooking:
    """A partner user books a free slot (the front desk's no-double-booking guarantee holds)."""
    from clinic.scheduling.models import Source
    from clinic.scheduling.services import book_appointment

    partnership = partnership_for(member)
    _check_booking(member, partnership, location=location, service_ids=service_ids)
    if patient is not None and not partnership.patient_data_access:
        raise DomainError(str(NO_PATIENT_ACCESS), field="patient")
    if patient is None and new_patient is not None:
        new_patient.source = Source.PARTNER
    organisation = member.organisation
    currency = clinic_currency()
    value = round_money(sum((s.price for s in Service.objects.filter(pk__in=service_ids)), Decimal(0)), currency)
    made = []

    def record(appointment):
        # The terms as they are at the commit: the partnership is locked (removing the partner,
        # changing its terms or channels lock it too), then checked again.
        locked = Partnership.objects.select_for_update().get(pk=partnership.pk)
        if locked.is_removed:
            raise DomainError(_("Your company cannot book at this clinic."))
        _check_booking(member, locked, location=location, service_ids=service_ids)
        booking = PartnerBooking.objects.create(
            appointment=appointment, partnership=locked, booked_by_id=member.user_id,
            booked_by_name=_name(member.user), payment_place=locked.payment_place, value=value,
            commission_percent=locked.percent, currency=currency,
            payer=partner_payer(appointment.patient, locked) if locked.payment_place == PaymentPlace.PARTNER
            else None,
        )
        booking.refresh_from_db(fields=["reference"])
        # No commission yet: it is earned when the visit charges the booked services.
        _confirm(booking, organisation, gettext_lazy("Booking %(reference)s confirmed"))
        made.append(booking)

    book_appointment(
        actor=None, patient=patient, new_patient=new_patient, location=location, practitioner=practitioner,
        starts_at=starts_at, service_ids=service_ids, note=note, source=Source.PARTNER,
        source_detail=f"{organisation.name} · {_name(member.user)}"[:200], phone_decision=NEW_SHARING,
        on_booked=record,
    )
    return made[0]


def recipient_language(organisation: PartnerOrganisation) -> str:
    """The language of a partner company's e-mails: the one its contact person last chose on the
    portal, else the clinic's — never the language of whoever happened to act (a clinic's
    receptionist cancelling in Romanian, a colleague of the contact booking in Russian)."""
    from clinic.accounts.models import User

    with schema_context("public"):
        language = (User.objects.filter(email__iexact=organisation.contact_email)
                    .values_list("language", flat=True).first())
    return language or connection.tenant.default_language


def _confirm(booking: PartnerBooking, organisation, subject) -> None:
    """E-mail the company's contact about a booking; ``subject`` a lazy text with ``%(reference)s``."""
    from clinic.scheduling.availability import clinic_zone

    appointment = booking.appointment
    zone = clinic_zone()
    context = {"booking": booking, "appointment": appointment, "organisation": organisation,
               "clinic": connection.tenant.name, "reference": booking.code,
               "starts": timezone.localtime(appointment.starts_at, zone),
               "services": ", ".join(line.service.name for line in appointment.service_lines.select_related(
                   "service").order_by("position"))}
    # The clinic's wall clock: the template's date filter shows the active zone's time, and on
    # the portal's (public) host that is UTC, not the clinic's.
    with timezone.override(zone), translation.override(recipient_language(organisation)):
        body = render_to_string("partners/email/booking.txt", context)
        subject = str(subject) % {"reference": booking.code}
    send_email_after_commit(subject, body, [organisation.contact_email])


def get_booking_for(member: PartnerUser, pk: int) -> PartnerBooking:
    """A booking of the member's company at the current clinic, or DomainError (a 404 for views)."""
    booking = (PartnerBooking.objects.select_related("appointment__patient", "appointment__location",
                                                     "appointment__practitioner", "partnership")
               .filter(pk=pk, partnership__organisation_id=member.organisation_id).first())
    if booking is None:
        raise PartnerBooking.DoesNotExist
    return booking


def cancel_booking(booking: PartnerBooking, *, by_name: str, reason: str, actor=None) -> PartnerBooking:
    """Cancel a partner booking (from the portal or by the clinic); its reference is never reused."""
    from clinic.scheduling.services import change_status

    reason = (reason or "").strip() or _("Cancelled by the partner")

    def record(appointment):
        _mark_cancelled(booking.pk, by_name)
        booking.refresh_from_db()
        organisation = PartnerOrganisation.objects.get(pk=booking.partnership.organisation_id)
        _confirm(booking, organisation, gettext_lazy("Booking %(reference)s cancelled"))

    booking.appointment = change_status(booking.appointment, "cancel", actor=actor, reason=reason,
                                        on_changed=record)
    return booking


def _not_begun(booking: PartnerBooking) -> None:
    if booking.appointment.starts_at <= timezone.now():
        raise DomainError(_("This appointment has begun or is over: ask the clinic to change it."))


def cancel_booking_for_partner(member: PartnerUser, booking: PartnerBooking, *, reason: str) -> PartnerBooking:
    """A partner user cancels its company's booking, before the appointment begins."""
    if not member.can_book:
        raise DomainError(_("Your user may not book: ask your company's administrator."))
    if booking.partnership.organisation_id != member.organisation_id:
        raise PartnerBooking.DoesNotExist
    _not_begun(booking)
    return cancel_booking(booking, by_name=_name(member.user), reason=reason)


def move_booking(member: PartnerUser, booking: PartnerBooking, *, starts_at: datetime, practitioner=None):
    """A partner user moves its booking to another free slot, before the appointment begins;
    the reference stays."""
    from clinic.scheduling.services import reschedule_appointment

    partnership = partnership_for(member)
    if not member.can_book:
        raise DomainError(_("Your user may not book: ask your company's administrator."))
    if booking.partnership_id != partnership.pk:
        raise PartnerBooking.DoesNotExist
    _not_begun(booking)
    if not partnership.locations.filter(pk=booking.appointment.location_id).exists():
        raise DomainError(_("Your company may not book at this location."), field="location")
    # The partner's "moved" mail is sent by appointment_changed, as for a move at the front desk.
    booking.appointment = reschedule_appointment(booking.appointment, actor=None, starts_at=starts_at,
                                                 practitioner=practitioner)
    return booking


def partner_search_words(query: str) -> str | None:
    """The name words a partner's search may use, or None when the query is too short: one
    word must have at least three letters (``a a`` or ``I o`` would list any patient).

    By name only: the clinic's search also matches phones, patient numbers and birth dates,
    which would let a partner learn who has a phone number. Those are all digits and a name
    word has a letter, so the words without a letter, or with a digit, are left out."""
    words = [word for word in (query or "").strip()[:100].split()
             if any(ch.isalpha() for ch in word) and not any(ch.isdigit() for ch in word)]
    if not any(sum(ch.isalpha() for ch in word) >= SEARCH_MIN_CHARS for word in words):
        return None
    return " ".join(words)


def check_partner_search_rate(member: PartnerUser) -> None:
    """At most settings.PARTNER_SEARCH_RATE searches per minute per partner user, whichever
    clinic (counted in the public schema: the cache's keys carry the schema, and this count is
    the user's, not a clinic's)."""
    import time

    from django.conf import settings
    from django.core.cache import cache

    per_minute = settings.PARTNER_SEARCH_RATE
    key = f"partner-search-rate:{member.user_id}:{int(time.time() // 60)}"
    with schema_context("public"):
        cache.add(key, 0, 120)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, 120)
            count = 1
    if count > per_minute:
        raise DomainError(_("Too many searches: wait a minute, then search again."))


def search_patients_for_partner(member: PartnerUser, query: str) -> list[dict]:
    """The clinic's earlier patients for a partner with access to patient data: name and birth
    year only, a word of at least 3 letters, at most 10 results, at most
    ``settings.PARTNER_SEARCH_RATE`` searches a minute; every search is logged, a refused one
    too (``DomainError`` then)."""
    from clinic.patients.services import search_patients

    partnership = partnership_for(member)
    query = (query or "").strip()[:100]
    if not partnership.patient_data_access or len(query) < SEARCH_MIN_CHARS:
        return []
    try:
        check_partner_search_rate(member)
    except DomainError:
        PatientSearch.objects.create(partnership=partnership, user_id=member.user_id, user_name=_name(member.user),
                                     query=query, results=0, refused=True)
        raise
    name_query = partner_search_words(query)
    found = []
    if name_query is not None:
        found = [{"id": p.pk, "name": p.full_name, "birth_year": p.birth_date.year if p.birth_date else None}
                 for p in search_patients(name_query).order_by("last_name", "first_name")[:SEARCH_MAX_RESULTS]]
    PatientSearch.objects.create(partnership=partnership, user_id=member.user_id, user_name=_name(member.user),
                                 query=query, results=len(found))
    return found


# --- the portal's booking screens (public host) -------------------------------------------


def linked_clinic(organisation, slug: str):
    """One of the clinics the company may book at now, by its slug; None for any other slug
    (a clinic never linked, invited, declined or removed looks the same: a 404 for views)."""
    with schema_context("public"):
        return _linked_clinics(organisation, ClinicLink.Status.ACTIVE).filter(slug=slug).first()


def bookings_for(member: PartnerUser, *, upcoming: bool, now: datetime, limit: int) -> list[PartnerBooking]:
    """The company's bookings at the current clinic (all its users'), upcoming (soonest first)
    or past (latest first), at most ``limit``; in two queries."""
    bookings = (PartnerBooking.objects.filter(partnership__organisation_id=member.organisation_id)
                .select_related("appointment__patient", "appointment__location", "appointment__practitioner")
                .prefetch_related("appointment__services"))
    if upcoming:
        bookings = bookings.filter(appointment__starts_at__gte=now).order_by("appointment__starts_at", "pk")
    else:
        bookings = bookings.filter(appointment__starts_at__lt=now).order_by("-appointment__starts_at", "-pk")
    return list(bookings[:limit])


def _mark_cancelled(pk: int, by_name: str) -> None:
    """The booking's cancellation, saved on the locked row (so the audit trail has it), and the
    commission it earned reversed on the ledger."""
    booking = PartnerBooking.objects.select_for_update().get(pk=pk)
    if booking.cancelled_at is None:
        booking.cancelled_at, booking.cancelled_by_name = timezone.now(), by_name[:150]
        booking.cancel_posting = _settle_commission(booking)
        booking.save(update_fields=["cancelled_at", "cancelled_by_name", "cancel_posting"])


def commission_due(booking: PartnerBooking) -> Decimal:
    """The commission a booking has earned: the percent agreed at booking of what its visit
    charged for the booked services (``billing.ledger.booked_services_charged``), rounded half
    up once per booking; nothing once it is cancelled."""
    from billing import ledger

    from .reports import commission_on

    if booking.cancelled_at is not None or not booking.commission_percent:
        return Decimal("0.00")
    return commission_on(ledger.booked_services_charged(booking.appointment_id), booking.commission_percent,
                         booking.currency)


def _settle_commission(booking: PartnerBooking):
    """Post the difference between the commission the (locked) booking has earned and what the
    ledger holds for it: on the partner's counterparty (payable) against the clinic's commission
    expense, with the visit it was earned on. Joins the posting under way (a charge, a void),
    or is one of its own; returns that posting, None when nothing changed.

    What the ledger holds counts the commission posted at booking by earlier versions (the
    booking's ``posting``): the first change of its visit's charges, or its cancellation,
    posts the difference, so every booking ends on the commission it earned."""
    from billing import ledger
    from billing.models import Book, Bucket, Entry, Visit

    counterparty = partner_counterparty(booking.partnership)
    held = ledger.payable_for_appointment(counterparty.pk, booking.appointment_id,
                                          postings=(booking.posting_id, booking.cancel_posting_id))
    difference = commission_due(booking) - held
    if not difference:
        return None
    visit = Visit.objects.filter(appointment_id=booking.appointment_id).first()
    with ledger.posting(Entry.COMMISSION) as posting:
        ledger.post(counterparty=counterparty, bucket=Bucket.PAYABLE, kind=Entry.COMMISSION, amount=difference,
                    currency=booking.currency, against=Book.COMMISSION, visit=visit, note=booking.code)
    return posting


def charges_changed(visit_ids: list[int]) -> None:
    """Billing's ledger changed what these visits charged (a line charged, discounted, voided,
    moved to another payer): a partner booking on one of their appointments earns its
    commission on the new figure, in the same posting (billing.ledger.on_charges_changed)."""
    from billing.models import Visit

    appointments = Visit.objects.filter(pk__in=visit_ids, appointment__isnull=False).values("appointment_id")
    bookings = (PartnerBooking.objects.select_for_update(of=("self",)).select_related("partnership")
                .filter(appointment_id__in=appointments).order_by("pk"))
    for booking in bookings:
        _settle_commission(booking)


def appointment_changed(event) -> None:
    """Scheduling's ``AppointmentChanged``: a partner booking cancelled at the clinic (front desk,
    a manager) is cancelled in the partner's account too; moved anywhere (the front desk, the
    portal), it stays the same booking. Either way the partner's contact is told."""
    from clinic.scheduling.events import Change

    if event.kind not in (Change.CANCELLED, Change.MOVED):
        return
    booking = PartnerBooking.objects.select_related("partnership").filter(
        appointment_id=event.after.pk, cancelled_at__isnull=True).first()
    if booking is None:  # not a partner booking, or cancelled from the portal (already recorded)
        return
    organisation = PartnerOrganisation.objects.get(pk=booking.partnership.organisation_id)
    if event.kind == Change.MOVED:
        booking.appointment = event.after
        _confirm(booking, organisation, gettext_lazy("Booking %(reference)s moved"))
        return
    actor = event.actor
    by_name = (getattr(actor, "full_name", "") or getattr(actor, "email", "") or _("The clinic"))[:150]
    _mark_cancelled(booking.pk, by_name)
    booking.refresh_from_db()
    _confirm(booking, organisation, gettext_lazy("Booking %(reference)s cancelled"))


def partner_counterparty(partnership: Partnership, *, name: str = ""):
    """The partner company as the clinic's counterparty, keyed by the company's id (never by
    its name, which may change: the name follows)."""
    from billing.models import Counterparty

    if partnership.counterparty_id is not None:
        counterparty = partnership.counterparty
        if name and counterparty.name != name[:200]:
            Counterparty.objects.filter(pk=counterparty.pk).update(name=name[:200])
            counterparty.name = name[:200]
        return counterparty
    if not name:
        with schema_context("public"):
            name = PartnerOrganisation.objects.get(pk=partnership.organisation_id).name
    counterparty, _created = Counterparty.objects.get_or_create(
        kind=Counterparty.Kind.PARTNER, reference=f"partner:{partnership.organisation_id}",
        defaults={"name": name[:200], "currency": clinic_currency()})
    Partnership.objects.filter(pk=partnership.pk).update(counterparty=counterparty)
    partnership.counterparty = counterparty
    return counterparty


def partner_payer(patient, partnership: Partnership):
    """The partner as the payer of a patient's visit lines (the patient paid at the partner):
    one per patient and partner, found by the partner's counterparty, never by a name."""
    from billing.models import Payer, PayerKind

    counterparty = partner_counterparty(partnership)
    payer = Payer.objects.filter(kind=PayerKind.PARTNER, patient=patient, counterparty=counterparty).first()
    return payer or Payer.objects.create(kind=PayerKind.PARTNER, patient=patient, counterparty=counterparty,
                                         name=counterparty.name)


def visit_payer(visit, service):
    """Billing's default payer of a visit's line: the partner, for a service booked through a
    booking paid at the partner (other services are the patient's)."""
    if not visit.appointment_id:
        return None
    booking = (PartnerBooking.objects.select_related("payer")
               .filter(appointment_id=visit.appointment_id, payer__isnull=False, cancelled_at__isnull=True).first())
    if booking is None or not booking.appointment.service_lines.filter(service=service).exists():
        return None
    if visit.lines.filter(service=service, payer=booking.payer, voided_at__isnull=True).exists():
        return None  # the booked service is on the visit already: another one is the patient's
    return booking.payer


def appointment_annotations(appointment_ids: list[int]) -> dict:
    """Scheduling's annotations of partner bookings (one query for all the appointments shown):
    the reference after the source, "Paid at partner" where the patient pays there, and the
    partner's user who booked."""
    from clinic.scheduling.extensions import Annotation

    paid_at_partner = _("Paid at partner")
    return {
        appointment_id: Annotation(badge=paid_at_partner if place == PaymentPlace.PARTNER else "",
                                   reference=reference_code(reference), booked_by=booked_by)
        for appointment_id, reference, place, booked_by in PartnerBooking.objects.filter(
            appointment_id__in=appointment_ids).values_list("appointment_id", "reference", "payment_place",
                                                            "booked_by_name")
    }
