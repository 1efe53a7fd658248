"""Fields shared by the apps: model fields, and the one date field every form uses."""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinic.calendars import date_for_input, parse_typed_date, solar_hijri_shown


def SequenceNumberField(verbose_name, sequence: str):  # noqa: N802 - reads as a field class
    """A number the database draws from ``sequence`` (a sequence in each clinic's schema,
    created by a migration): unique, never reused, never typed in."""
    return models.BigIntegerField(
        verbose_name,
        unique=True,
        editable=False,
        db_default=models.Func(models.Value(sequence), function="nextval", output_field=models.BigIntegerField()),
    )


class ClinicDateInput(forms.DateInput):
    """A day in the clinic's calendar. The browser's date picker (ISO value) in the Gregorian
    calendar; on a Solar Hijri clinic's Persian pages a text field that shows and takes
    ``1405/09/14`` (Persian or Latin digits), left to right inside the right-to-left page.
    Decided when the field is drawn, so one form serves every language."""

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")

    def format_value(self, value):
        if isinstance(value, date):
            return date_for_input(value)
        return super().format_value(value)

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        if solar_hijri_shown():
            widget["type"] = "text"
            widget["attrs"] = {
                "inputmode": "numeric", "dir": "ltr", "autocomplete": "off", "data-calendar": "solar_hijri",
                "placeholder": str(_("year/month/day")), "size": 10, **widget["attrs"],
            }
        else:
            widget["type"] = "date"
        return context


class ClinicDateField(forms.DateField):
    """The date field of every form: a day typed in the clinic's calendar (see
    ``clinic.calendars.parse_typed_date``), or the date picker's ISO day."""

    widget = ClinicDateInput
    default_error_messages = {
        "invalid": _("Enter a date as year/month/day, for example %(example)s."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            return value.date()
        if isinstance(value, date):
            return value
        day = parse_typed_date(str(value))
        if day is None:
            example = date_for_input(date(2026, 12, 5))
            raise ValidationError(self.error_messages["invalid"], code="invalid", params={"example": example})
        return day
