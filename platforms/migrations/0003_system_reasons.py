"""The reasons a platform order made the system write — a patient's line voided as "Paid by platform
order …", a cash voucher's payment noted "Platform order …" — are kept as data (``clinic.texts``,
read in the reader's language). Those already written, in any of the clinic's languages, are read
back into data where the order is there to show it (an order of that number redeemed on the same
visit); a reason a person typed stays as typed."""

import re

from django.db import migrations

PAID, ORDER = "Paid by platform order %(number)s", "Platform order %(number)s"
# (billing model, the person's words, the system's text, the text's source)
_READS = (("VisitLine", "void_reason", "void_details", PAID), ("Payment", "reason", "reason_details", ORDER))


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
    PlatformOrder = apps.get_model("platforms", "PlatformOrder")
    on_visits = set(PlatformOrder.objects.exclude(visit=None).values_list("number", "visit_id"))
    if not on_visits:
        return
    for model, words, details, source in _READS:
        model = apps.get_model("billing", model)
        patterns = _patterns(source)
        for row in model.objects.exclude(**{words: ""}).filter(**{details: {}}).iterator(chunk_size=2000):
            number = _number(getattr(row, words), patterns)
            if number is not None and (number, row.visit_id) in on_visits:
                setattr(row, details, {"text": source, "values": {"number": number}})
                setattr(row, words, "")
                row.save(update_fields=[details, words])


def details_to_reasons(apps, schema_editor):
    """Back to the reasons written out (in English), so that undoing the migration loses nothing."""
    for model, words, details, source in _READS:
        model = apps.get_model("billing", model)
        for row in model.objects.filter(**{f"{details}__text": source}).iterator(chunk_size=2000):
            setattr(row, words, (source % getattr(row, details)["values"])[:200])
            setattr(row, details, {})
            row.save(update_fields=[words, details])


class Migration(migrations.Migration):

    dependencies = [
        ('platforms', '0002_order_event_details'),
        ('billing', '0012_system_reasons'),
    ]

    operations = [
        migrations.RunPython(reasons_to_details, details_to_reasons),
    ]
