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


@register.inclusion_tag("includes/pagination.html")
def pagination(page, query: str = "", *, param: str = "page", fragment: str = "", label: str = ""):
    """Previous, "Page n of m" and Next under a page of rows: the one pager of every list.

    ``page``: a Django ``Page``, or anything with ``number``, ``has_previous`` / ``has_next``
    (attributes or methods) and ``pages`` — or neither ``pages`` nor a paginator, for a search
    that does not count its rows ("Page n"). ``query``: the list's other parameters, already
    encoded; ``param``: the page's parameter; ``fragment``: where the new page scrolls to;
    ``label``: the navigation's name for assistive technology ("Pages" when empty)."""

    def answer(name):
        value = getattr(page, name)
        return value() if callable(value) else value

    number = page.number
    pages = getattr(page, "pages", None)
    if pages is None and hasattr(page, "paginator"):
        pages = page.paginator.num_pages
    prefix = f"?{query}&{param}=" if query else f"?{param}="
    return {"number": number, "pages": pages, "label": label,
            "previous": f"{prefix}{number - 1}{fragment}" if answer("has_previous") else "",
            "next": f"{prefix}{number + 1}{fragment}" if answer("has_next") else ""}
