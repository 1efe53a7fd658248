from datetime import datetime

from django import forms
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from clinic.fields import ClinicDateField
from clinic.models import Location, Practitioner, Service
from clinic.patients.models import Patient, PhoneRelation
from clinic.patients.services import NEW_SHARING, SAME_PERSON

from .models import Source, Status


class ServiceChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name} · {gettext('%(minutes)s min') % {'minutes': obj.duration_minutes}}"


class BookingForm(forms.Form):
    location = forms.ModelChoiceField(queryset=Location.objects.all(), widget=forms.HiddenInput)
    practitioner = forms.ModelChoiceField(queryset=Practitioner.objects.all(), widget=forms.HiddenInput)
    starts_at = forms.DateTimeField(widget=forms.HiddenInput, input_formats=["%Y-%m-%dT%H:%M"])
    patient = forms.ModelChoiceField(queryset=Patient.objects.all(), required=False, widget=forms.HiddenInput)
    first_name = forms.CharField(label=_("First name"), max_length=100, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=100, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=32, required=False)
    birth_date = ClinicDateField(label=_("Birth date"), required=False)
    phone_decision = forms.ChoiceField(
        label=_("This phone number already belongs to a patient"),
        choices=[("", "—"), (SAME_PERSON, _("This is the same person")), (NEW_SHARING, _("A new patient sharing this phone"))],
        required=False,
    )
    relation = forms.ChoiceField(
        label=_("Relation to the phone's owner"),
        choices=[c for c in PhoneRelation.choices if c[0] != PhoneRelation.SELF],
        initial=PhoneRelation.OTHER,
        required=False,
    )
    # A searchable picker in the page (Tom Select, static/vendor/tom-select): 40 services need no Ctrl-click.
    services = ServiceChoiceField(
        label=_("Services"), queryset=Service.objects.filter(is_active=True).select_related("category"),
        widget=forms.SelectMultiple(attrs={
            "data-picker": "services", "aria-describedby": "services-help",
            "data-placeholder": _("Type a service"), "data-remove-label": _("Remove"),
            "data-no-results": _("No service matches"),
        }),
    )
    source = forms.ChoiceField(label=_("Source"), choices=[c for c in Source.choices if c[0] in {"walk_in", "phone", "web"}])
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_phone(self):
        from clinic.patients.forms import validate_phone

        return validate_phone(self.cleaned_data["phone"])

    def clean_starts_at(self):
        value = self.cleaned_data["starts_at"]
        if timezone.is_naive(value):
            value = timezone.make_aware(value)
        return value

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("patient") and not (cleaned.get("first_name") and cleaned.get("last_name")):
            self.add_error("first_name", _("Find the patient or enter a new one."))
        return cleaned


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason for cancelling"), max_length=200)


class RescheduleForm(forms.Form):
    day = ClinicDateField(label=_("Date"))
    time = forms.TimeField(label=_("Time"), widget=forms.TimeInput(attrs={"type": "time", "step": 900}))
    practitioner = forms.ModelChoiceField(label=_("Practitioner"), queryset=Practitioner.objects.filter(is_active=True))
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.filter(is_active=True))

    def starts_at(self):
        data = self.cleaned_data
        return timezone.make_aware(datetime.combine(data["day"], data["time"]))


class FreeSlotForm(forms.Form):
    service = forms.ModelChoiceField(label=_("Service"), queryset=Service.objects.filter(is_active=True))
    practitioner = forms.ModelChoiceField(
        label=_("Practitioner"), queryset=Practitioner.objects.filter(is_active=True), required=False,
        empty_label=_("Any practitioner"),
    )
    location = forms.ModelChoiceField(
        label=_("Location"), queryset=Location.objects.filter(is_active=True), required=False, empty_label=_("Any location")
    )


class ReceptionFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=[("", _("All"))] + list(Status.choices))
    practitioner = forms.ModelChoiceField(
        label=_("Practitioner"), queryset=Practitioner.objects.all(), required=False, empty_label=_("Any practitioner")
    )
    source = forms.ChoiceField(
        label=_("Source"), required=False,
        choices=[("", _("Any source"))]
        + [(value, _("Partner bookings") if value == Source.PARTNER else label) for value, label in Source.choices],
    )
