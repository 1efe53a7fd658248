from django import template
from django.utils.html import format_html

from clinic.reliability.idempotency import FIELD, issue_key

register = template.Library()


@register.simple_tag
def idempotency_key():
    """A hidden field with a fresh key: the form it is in is accepted once (``@idempotent``)."""
    return format_html('<input type="hidden" name="{}" value="{}">', FIELD, issue_key())
