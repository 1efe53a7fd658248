"""The partner account of a month: the ledger's postings between the clinic and the partner, its PDF
and workbook."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from billing import ledger
from billing.models import Entry
from clinic.calendars import format_date
from clinic.money import ZERO
from clinic.periods import month_from, next_month
from clinic.scheduling.availability import clinic_zone

from ..models import PartnerBooking, Partnership, PaymentPlace
from ._common import (
    _local,
    _service_names,
)

# --- the partner account of a month ------------------------------------------------------------


# The months: clinic/periods.py (re-exported: the views read them here).
account_month = month_from


@dataclass
class AccountLine:
    """One posting of the month between the clinic and the partner (per visit): a charge, a
    discount or a voided line of a booking's visit, the commission it earned, or a booking's
    cancellation (negative amounts)."""

    at: datetime  # when it was posted
    label: str
    is_cancellation: bool
    code: str
    appointment_at: datetime | None
    location: str
    services: str
    patient: str  # empty where the reader is the partner, and in the documents
    booked_by: str
    payment_place: str
    payment_place_label: str
    value: Decimal  # what the visit charged for the booked services in this posting, whoever pays
    owed_to_clinic: Decimal  # what the partner's payers were charged in it
    commission_percent: Decimal | None
    commission: Decimal  # what the clinic came to owe the partner in it

    @property
    def kind(self) -> str:
        return self.label


@dataclass
class PartnerAccount:
    partnership: Partnership
    partner: str
    month: date
    currency: str
    owed_to_clinic: Decimal = ZERO  # ledger.counterparty_charged of the month
    commission: Decimal = ZERO  # ledger.counterparty_payable of the month
    lines: list[AccountLine] = field(default_factory=list)

    @property
    def last_day(self) -> date:
        return next_month(self.month) - timedelta(days=1)

    @property
    def value(self) -> Decimal:
        return sum((line.value for line in self.lines), ZERO)

    @property
    def net(self) -> Decimal:
        """Positive: the partner pays the clinic; negative: the clinic pays the partner."""
        return self.owed_to_clinic - self.commission

    def net_sentence(self) -> str:
        from clinic.templatetags.ui import money

        if self.net > 0:
            return _("%(partner)s pays the clinic %(amount)s.") % {"partner": self.partner,
                                                                   "amount": money(self.net, self.currency)}
        if self.net < 0:
            return _("The clinic pays %(partner)s %(amount)s.") % {"partner": self.partner,
                                                                   "amount": money(-self.net, self.currency)}
        return _("Nobody owes anything for this month.")


def _line_label(kind: str, posting_id: int, booking: PartnerBooking | None) -> tuple[str, bool]:
    """What a posting was, as the account names it, and whether it is a cancellation."""
    if booking is not None and posting_id == booking.cancel_posting_id:
        return pgettext("partner account line", "Cancellation"), True
    if booking is not None and posting_id == booking.posting_id:  # commission posted at booking (earlier versions)
        return pgettext("partner account line", "Booking"), False
    return str(Entry(kind).label) if kind in Entry.values else kind, False


def partner_account(partnership: Partnership, month: date, *, with_patients: bool = False) -> PartnerAccount:
    """The partner's account of ``month`` (its first day), in the current clinic's schema: the
    ledger's movements between the clinic and the partner's counterparty in the month, each
    with the booking it belongs to; the totals are the ledger's sums of the month.

    Five queries: the movements (two), the totals (two) and the bookings they belong to.
    Without ``with_patients`` the patient is not even read.
    """
    from clinic.services import clinic_currency

    zone = clinic_zone()
    starts = datetime.combine(month, time.min, tzinfo=zone)
    ends = datetime.combine(next_month(month), time.min, tzinfo=zone)
    account = PartnerAccount(partnership=partnership, partner=partnership.organisation.name, month=month,
                             currency=clinic_currency())
    counterparty = partnership.counterparty_id
    if counterparty is None:  # never booked: nothing on the ledger
        return account
    account.owed_to_clinic = ledger.counterparty_charged(counterparty, starts=starts, ends=ends)
    account.commission = ledger.counterparty_payable(counterparty, starts=starts, ends=ends)
    movements = ledger.counterparty_movements(counterparty, starts=starts, ends=ends)
    postings = {movement.posting_id for movement in movements}
    appointments = {movement.appointment_id for movement in movements if movement.appointment_id is not None}
    related = ["appointment__location"]
    if with_patients:
        related.append("appointment__patient")
    bookings = list(
        PartnerBooking.objects.filter(partnership=partnership)
        .filter(Q(appointment_id__in=appointments) | Q(posting_id__in=postings) | Q(cancel_posting_id__in=postings))
        .select_related(*related).annotate(service_names=_service_names()))
    by_appointment = {booking.appointment_id: booking for booking in bookings}
    by_posting = {posting: booking for booking in bookings
                  for posting in (booking.posting_id, booking.cancel_posting_id) if posting is not None}
    places = dict(PaymentPlace.choices)
    for movement in movements:
        booking = by_appointment.get(movement.appointment_id) or by_posting.get(movement.posting_id)
        label, is_cancellation = _line_label(movement.kind, movement.posting_id, booking)
        common = {"at": movement.created, "label": label, "is_cancellation": is_cancellation,
                  "value": movement.base, "owed_to_clinic": movement.charged, "commission": movement.payable}
        if booking is None:  # the desk charged the partner a line of a visit it did not book
            account.lines.append(AccountLine(code="", appointment_at=None, location="", services="", patient="",
                                             booked_by="", payment_place="", payment_place_label="",
                                             commission_percent=None, **common))
            continue
        appointment = booking.appointment
        if movement.posting_id == booking.posting_id:  # commission at booking: on its booked value
            common["value"] = booking.value
        elif is_cancellation and movement.visit_id is None:
            common["value"] = -booking.value
        account.lines.append(AccountLine(
            code=booking.code, appointment_at=appointment.starts_at, location=appointment.location.name,
            services=booking.service_names or "", patient=appointment.patient.full_name if with_patients else "",
            booked_by=booking.booked_by_name, payment_place=booking.payment_place,
            payment_place_label=str(places.get(booking.payment_place, booking.payment_place)),
            commission_percent=booking.commission_percent, **common))
    return account


def account_rows(account: PartnerAccount) -> Iterator[list]:
    """The statement as a sheet (never a patient's name): who, which month, a row per line,
    the totals and the net."""
    zone = clinic_zone()
    yield [_("Partner account"), account.partner]
    yield [_("Month"), format_date(account.month, "YEAR_MONTH_FORMAT"), _("Currency"), account.currency]
    yield []
    yield [_("Date"), _("Line"), _("Reference"), _("Appointment"), _("Location"), _("Services"), _("Booked by"),
           _("Place of payment"), _("Charged value"), _("Owed to the clinic"), _("Commission (%)"),
           _("Commission owed to the partner")]
    for line in account.lines:
        yield [_local(line.at, zone), line.kind, line.code, _local(line.appointment_at, zone), line.location,
               line.services, line.booked_by, line.payment_place_label, line.value, line.owed_to_clinic,
               line.commission_percent, line.commission]
    yield [_("Total"), "", "", "", "", "", "", "", account.value, account.owed_to_clinic, "", account.commission]
    yield [_("Net (owed to the clinic less commission)"), "", "", "", "", "", "", "", "", account.net]
    yield [account.net_sentence()]


def account_workbook(account: PartnerAccount) -> bytes:
    """The statement as an .xlsx file (small: built in memory, on request)."""
    from io import BytesIO

    from clinic.exports.writer import write_xlsx

    handle = BytesIO()
    write_xlsx(account_rows(account), handle, title=str(_("Partner account")))
    return handle.getvalue()


def account_pdf(account: PartnerAccount) -> bytes:
    """The statement as a PDF, in the clinic's language like its other documents."""
    from billing.documents import render_pdf

    return render_pdf("partners/documents/account.html", {"account": account})


def account_file_stem(account: PartnerAccount) -> str:
    from django.utils.text import slugify

    return f"partner-account-{slugify(account.partner)[:40] or account.partnership.pk}-{account.month:%Y-%m}"

