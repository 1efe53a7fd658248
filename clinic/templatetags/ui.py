from decimal import Decimal

from django import forms, template
from django.db import connection
from django.utils.formats import number_format

from clinic.money import minor_unit, round_money

register = template.Library()


@register.filter
def bootstrap(field):
    """Render a bound field's widget with Bootstrap's classes (and its error state)."""
    widget = field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        css = "form-check-input"
    elif isinstance(widget, (forms.Select, forms.SelectMultiple)) and not isinstance(
        widget, forms.CheckboxSelectMultiple
    ):
        css = "form-select"
    elif isinstance(widget, forms.CheckboxSelectMultiple):
        css = ""
    elif getattr(widget, "input_type", "") == "color":
        css = "form-control form-control-color"
    else:
        css = "form-control"
    if field.errors:
        css += " is-invalid"
    attrs = {"class": css} if css else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.filter
def is_checkbox(field):
    return isinstance(field.field.widget, forms.CheckboxInput)


@register.filter
def money(amount, currency=None):
    """An amount with its currency, rounded to the minor unit, in the active locale's format."""
    if amount is None or amount == "":
        return ""
    currency = currency or getattr(getattr(connection, "tenant", None), "currency", None)
    places = minor_unit(currency) if currency else 2
    value = round_money(Decimal(amount), currency)
    text = number_format(value, decimal_pos=places, use_l10n=True, force_grouping=True)
    return f"{text} {currency}" if currency else text


@register.filter
def text_on(background):
    """The text colour that reads on ``background`` (a flag's colour): ``style="color: {{ flag.colour|text_on }}"``."""
    from clinic.contrast import text_colour_on

    return text_colour_on(str(background or ""))


@register.filter
def phone(stored):
    """A stored (E.164) phone as people read it — local format for the clinic's own country,
    international for another — kept left-to-right inside a right-to-left page."""
    from django.utils.html import format_html

    from clinic.phones import display

    if not stored:
        return ""
    return format_html('<bdi dir="ltr" class="phone text-nowrap">{}</bdi>', display(stored))
