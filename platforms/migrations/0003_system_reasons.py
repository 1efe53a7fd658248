"""The reasons a platform order made the system write — a patient's line voided as "Paid by platform
order …", a cash voucher's payment noted "Platform order …" — are kept as data (``clinic.texts``,
read in the reader's language). Those already written, in any of the clinic's languages, are read
back into data where the order is there to show it (an order of that number redeemed on the same
visit); a reason a person typed stays as typed."""

import re

from django.db import migrations

PAID, ORDER = "Paid by platform order %(number)s", "Platform order %(number)s"


def _patterns(source: str) -> list[re.Pattern]:
    from django.conf import settings
    from django.utils import translation

    patterns = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            parts = re.split(r"%\((\w+)\)s", translation.gettext(source))
        regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)" for index, part in enumerate(parts))
        patterns.append(re.compile(f"^{regex}$", re.S))
    return patterns


def _number(text: str, patterns) -> str | None:
    for pattern in patterns:
        found = pattern.match(text)
        if found:
            return found["number"]
    return None


def reasons_to_details(apps, schema_editor):
    VisitLine = apps.get_model("billing", "VisitLine")
    Payment = apps.get_model("billing", "Payment")
    PlatformOrder = apps.get_model("platforms", "PlatformOrder")
    on_visits = set(PlatformOrder.objects.exclude(visit=None).values_list("number", "visit_id"))
    if not on_visits:
        return
    paid = _patterns(PAID)
    for line in VisitLine.objects.exclude(void_reason="").filter(void_details={}).iterator(chunk_size=2000):
        number = _number(line.void_reason, paid)
        if number is not None and (number, line.visit_id) in on_visits:
            line.void_details, line.void_reason = {"text": PAID, "values": {"number": number}}, ""
            line.save(update_fields=["void_details", "void_reason"])
    order = _patterns(ORDER)
    for payment in Payment.objects.exclude(reason="").filter(reason_details={}).iterator(chunk_size=2000):
        number = _number(payment.reason, order)
        if number is not None and (number, payment.visit_id) in on_visits:
            payment.reason_details, payment.reason = {"text": ORDER, "values": {"number": number}}, ""
            payment.save(update_fields=["reason_details", "reason"])


def details_to_reasons(apps, schema_editor):
    """Back to the reasons written out (in English), so that undoing the migration loses nothing."""
    VisitLine = apps.get_model("billing", "VisitLine")
    Payment = apps.get_model("billing", "Payment")
    for line in VisitLine.objects.filter(void_details__text=PAID).iterator(chunk_size=2000):
        line.void_reason, line.void_details = (PAID % line.void_details["values"])[:200], {}
        line.save(update_fields=["void_reason", "void_details"])
    for payment in Payment.objects.filter(reason_details__text=ORDER).iterator(chunk_size=2000):
        payment.reason, payment.reason_details = (ORDER % payment.reason_details["values"])[:200], {}
        payment.save(update_fields=["reason", "reason_details"])


class Migration(migrations.Migration):

    dependencies = [
        ('platforms', '0002_order_event_details'),
        ('billing', '0012_system_reasons'),
    ]

    operations = [
        migrations.RunPython(reasons_to_details, details_to_reasons),
    ]
