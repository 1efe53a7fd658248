"""Django's |date filter, in the clinic's calendar: Solar Hijri on Persian pages of a clinic
that chose it (clinic.calendars), else Django's own. Loaded as a template builtin."""

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import timezone

from clinic.calendars import GREGORIAN_FORMATS, solar_hijri_format, solar_hijri_shown

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if value in (None, "") or not solar_hijri_shown() or arg in GREGORIAN_FORMATS:
        return django_date(value, arg)
    try:
        if hasattr(value, "tzinfo") and timezone.is_aware(value):
            value = timezone.localtime(value)
        return solar_hijri_format(value, arg)
    except (TypeError, ValueError, AttributeError):
        return django_date(value, arg)


@register.simple_tag
def date_input(name, value, **attrs):
    """A date field written in a template by hand (report periods, the calendar's day): the
    same widget as ``clinic.fields.ClinicDateField``'s, so every date field takes the clinic's
    calendar. Attributes by keyword, ``_`` for ``-``: ``{% date_input "first" first id="x" required=True %}``."""
    from clinic.fields import ClinicDateInput

    return ClinicDateInput({key.replace("_", "-"): val for key, val in attrs.items() if val not in (None, False, "")}
                           ).render(name, value or None)
