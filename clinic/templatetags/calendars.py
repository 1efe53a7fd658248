"""Django's |date filter, in the clinic's calendar: Solar Hijri on Persian pages of a clinic
that chose it (clinic.calendars), else Django's own. Loaded as a template builtin."""

from django import template
from django.template.defaultfilters import date as django_date
from django.utils import timezone

from clinic.calendars import solar_hijri_format, solar_hijri_shown

register = template.Library()


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    if value in (None, "") or not solar_hijri_shown():
        return django_date(value, arg)
    try:
        if hasattr(value, "tzinfo") and timezone.is_aware(value):
            value = timezone.localtime(value)
        return solar_hijri_format(value, arg)
    except (TypeError, ValueError, AttributeError):
        return django_date(value, arg)
