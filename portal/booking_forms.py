"""The portal's booking forms.

The choices come from the clinic's schema (the partnership's locations and services), read by
the view inside ``tenant_context``: these forms never query, so they render on the public host.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext_lazy as _

from clinic.fields import ClinicDateField
from clinic.patients.forms import validate_phone

START_FORMAT = "%Y-%m-%dT%H:%M"


def parse_start(value: str, zone: ZoneInfo) -> datetime | None:
    """A slot's start as the calendar writes it (the clinic's local time), or None; only in the
    calendar's years (at the ends of Python's dates, adding the services' length overflows)."""
    try:
        starts = datetime.strptime(value or "", START_FORMAT).replace(tzinfo=zone)
    except ValueError:
        return None
    return starts if 2000 <= starts.year <= 2999 else None


class CalendarFilterForm(forms.Form):
    """The calendar's filters: /portal/book/?clinic=&location=&week=[&practitioner=][&service=]."""

    clinic = forms.ChoiceField(label=_("Clinic"))
    location = forms.TypedChoiceField(label=_("Location"), coerce=int)
    practitioner = forms.TypedChoiceField(label=_("Practitioner"), coerce=int, required=False, empty_value=None)
    service = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False, empty_value=None)
    week = ClinicDateField(label=_("Week of"))
    move = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, clinics=(), locations=(), practitioners=(), services=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["clinic"].choices = list(clinics)
        self.fields["location"].choices = list(locations)
        self.fields["practitioner"].choices = [("", _("All practitioners"))] + list(practitioners)
        self.fields["service"].choices = [("", _("Any service"))] + list(services)

    def clean_week(self) -> date:
        week = self.cleaned_data["week"]
        if not 2000 <= week.year <= 2999:
            raise forms.ValidationError(_("Enter a date between 2000 and 2999."))
        return week


class PartnerBookingForm(forms.Form):
    """A free slot booked for a patient: an earlier patient (found by the search, with access
    to patient data) or a new one."""

    clinic = forms.CharField(widget=forms.HiddenInput(attrs={"id": "booking-clinic"}))
    location = forms.IntegerField(widget=forms.HiddenInput)
    practitioner = forms.IntegerField(widget=forms.HiddenInput)
    starts_at = forms.CharField(widget=forms.HiddenInput)
    services = forms.TypedMultipleChoiceField(label=_("Services"), coerce=int, widget=forms.CheckboxSelectMultiple)
    patient = forms.IntegerField(required=False)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    birth_date = ClinicDateField(label=_("Birth date"), required=False)
    note = forms.CharField(label=_("Note for the clinic"), max_length=500, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, services=(), zone: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["services"].choices = list(services)

    def clean_phone(self):
        return validate_phone(self.cleaned_data["phone"])

    def clean_starts_at(self) -> datetime:
        starts = parse_start(self.cleaned_data["starts_at"], self.zone)
        if starts is None:
            raise forms.ValidationError(_("Choose a free slot in the calendar."))
        return starts

    def clean(self):
        cleaned = super().clean()
        # The slot's fields are hidden: an error of theirs is shown above the form, once.
        slot_errors = [name for name in ("location", "practitioner", "starts_at") if name in self.errors]
        if slot_errors:
            for name in slot_errors:
                del self.errors[name]
            self.add_error(None, _("Choose a free slot in the calendar."))
        if not cleaned.get("patient") and not (cleaned.get("first_name", "").strip()
                                               and cleaned.get("last_name", "").strip()):
            self.add_error("first_name", _("Enter the new patient's first and last name."))
        return cleaned


class CancelBookingForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class MoveBookingForm(forms.Form):
    """The free slot the booking moves to, as the calendar's button sends it: "<practitioner id>|<start>"."""

    slot = forms.CharField(max_length=40)

    def __init__(self, *args, zone: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone

    def clean_slot(self) -> tuple[int, datetime]:
        practitioner, _sep, start = self.cleaned_data["slot"].partition("|")
        starts = parse_start(start, self.zone)
        if not practitioner.isdigit() or starts is None:
            raise forms.ValidationError(_("Choose a free slot in the calendar."))
        return int(practitioner), starts
