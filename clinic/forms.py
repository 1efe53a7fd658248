from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from clinic.accounts.models import User
from clinic.fields import ClinicDateField
from clinic.tenants.models import time_zone_choices
from clinic.uploads import CheckedFileField

from .models import Location, ServiceCategory, Weekday


class ClinicSettingsForm(forms.Form):
    name = forms.CharField(label=_("Clinic name"), max_length=200)
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=time_zone_choices)
    default_language = forms.ChoiceField(label=_("Default language"), choices=settings.LANGUAGES)
    calendar = forms.ChoiceField(label=_("Calendar"), choices=[
        ("gregorian", _("Gregorian")), ("solar_hijri", _("Solar Hijri (in Persian)"))],
        help_text=_("Solar Hijri dates are shown on pages in Persian (فارسی)."), required=False)
    legal_name = forms.CharField(label=_("Legal name"), max_length=200, required=False)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 3}), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    email = forms.EmailField(label=_("Email"), required=False)
    tax_number = forms.CharField(label=_("Tax number"), max_length=40, required=False)
    two_factor_for_managers = forms.BooleanField(
        label=_("Managers and finance sign in with two factors (an authenticator app)"), required=False)


class LocationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    address = forms.CharField(label=_("Address"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for day in Weekday:
            self.fields[f"opens_{day.value}"] = forms.TimeField(
                label=day.label, required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            )
            self.fields[f"closes_{day.value}"] = forms.TimeField(
                label=day.label, required=False, widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
            )

    def main_fields(self):
        return [self[name] for name in ("name", "address", "phone", "is_active")]

    def day_rows(self):
        return [(day, self[f"opens_{day.value}"], self[f"closes_{day.value}"]) for day in Weekday]

    def clean(self):
        cleaned = super().clean()
        for day in Weekday:
            opens, closes = cleaned.get(f"opens_{day.value}"), cleaned.get(f"closes_{day.value}")
            if (opens is None) != (closes is None):
                self.add_error(f"closes_{day.value}", _("Enter both times, or neither for a closed day."))
            elif opens and closes and closes <= opens:
                self.add_error(f"closes_{day.value}", _("Closing time must be after opening time."))
        return cleaned

    def opening_hours(self):
        from .services import DayHours

        rows = []
        for day in Weekday:
            opens, closes = self.cleaned_data.get(f"opens_{day.value}"), self.cleaned_data.get(f"closes_{day.value}")
            if opens and closes:
                rows.append(DayHours(day.value, opens, closes))
        return rows


COLOUR = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour such as #4f7cac."))


class PractitionerForm(forms.Form):
    full_name = forms.CharField(label=_("Full name"), max_length=150)
    user = forms.ModelChoiceField(
        label=_("Staff user"),
        queryset=User.objects.filter(is_active=True),
        required=False,
        help_text=_("Link the practitioner to a login, if they have one."),
    )
    specialities = forms.CharField(
        label=_("Specialities"), required=False, help_text=_("Separate several with commas.")
    )
    colour = forms.CharField(
        label=_("Calendar colour"), initial="#4f7cac", validators=[COLOUR], widget=forms.TextInput(attrs={"type": "color"})
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean_specialities(self):
        return [part.strip() for part in self.cleaned_data["specialities"].split(",") if part.strip()]


class HoursRowForm(forms.Form):
    # An empty first choice, so that an untouched spare row counts as empty.
    weekday = forms.TypedChoiceField(
        label=_("Weekday"), choices=[("", "---------"), *Weekday.choices], coerce=int, empty_value=None
    )
    location = forms.ModelChoiceField(label=_("Location"), queryset=Location.objects.filter(is_active=True))
    starts = forms.TimeField(label=_("From"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    ends = forms.TimeField(label=_("Until"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("starts") and cleaned.get("ends") and cleaned["ends"] <= cleaned["starts"]:
            self.add_error("ends", _("The end time must be after the start time."))
        return cleaned


class BreakRowForm(HoursRowForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["location"]


HoursFormSet = forms.formset_factory(HoursRowForm, extra=2, can_delete=True)
BreakFormSet = forms.formset_factory(BreakRowForm, extra=2, can_delete=True)


class AbsenceForm(forms.Form):
    starts_on = ClinicDateField(label=_("First day"))
    ends_on = ClinicDateField(label=_("Last day"))
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ServiceForm(forms.Form):
    code = forms.CharField(label=_("Code"), max_length=30)
    name = forms.CharField(label=_("Name"), max_length=200)
    category = forms.ModelChoiceField(label=_("Category"), queryset=ServiceCategory.objects.all(), required=False)
    new_category = forms.CharField(
        label=_("or a new category"), max_length=120, required=False
    )
    duration_minutes = forms.IntegerField(label=_("Duration (minutes)"), min_value=1, max_value=24 * 60)
    price = forms.DecimalField(label=_("Price"), min_value=Decimal("0"), max_digits=14, decimal_places=2)
    vat_rate = forms.DecimalField(
        label=_("VAT rate (%)"), min_value=Decimal("0"), max_value=Decimal("100"), decimal_places=2, initial=Decimal("0")
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def clean(self):
        cleaned = super().clean()
        new_category = (cleaned.get("new_category") or "").strip()
        if new_category:
            cleaned["category"] = new_category
        elif not cleaned.get("category"):
            self.add_error("category", _("Choose a category or name a new one."))
        return cleaned


class PriceListImportForm(forms.Form):
    file = CheckedFileField("price_list", label=_("Price list file (.xlsx or .csv)"))


class ServiceFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=ServiceCategory.objects.all(), required=False, empty_label=_("All categories")
    )
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All")), ("active", _("Active")), ("inactive", _("Inactive"))],
    )
