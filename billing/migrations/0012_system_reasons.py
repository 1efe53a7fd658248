"""A line the system voided keeps its reason as data (``void_details``, read in the reader's language:
``clinic.texts``); until now it was written in the language of whoever caused it ("Moved to …",
"Paid by platform order …"). Such reasons already written, in any of the clinic's languages, are read
back into data; a person's own reason stays as typed."""

import re

from django.db import migrations, models

MOVED, PAID = "Moved to %(payer)s", "Paid by platform order %(number)s"


def _pattern(translated: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", translated)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)" for index, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.S)


def _readings():
    """(pattern, source, the word "Patient") in every language of the clinic."""
    from django.conf import settings
    from django.utils import translation

    readings = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            patient = translation.gettext("Patient")
            readings += [(_pattern(translation.gettext(source)), source, patient) for source in (MOVED, PAID)]
    return readings


def reasons_to_details(apps, schema_editor):
    VisitLine = apps.get_model("billing", "VisitLine")
    readings = None
    for line in VisitLine.objects.exclude(void_reason="").filter(void_details={}).iterator(chunk_size=2000):
        readings = readings if readings is not None else _readings()
        for pattern, source, patient in readings:
            found = pattern.match(line.void_reason)
            if not found:
                continue
            values = found.groupdict()
            if source == MOVED and values["payer"] == patient:
                values["payer"] = {"text": "Patient"}
            line.void_details, line.void_reason = {"text": source, "values": values}, ""
            line.save(update_fields=["void_details", "void_reason"])
            break


def details_to_reasons(apps, schema_editor):
    """Back to the reasons written out (in English), so that undoing the migration loses nothing."""
    VisitLine = apps.get_model("billing", "VisitLine")
    for line in VisitLine.objects.exclude(void_details={}).iterator(chunk_size=2000):
        values = {name: value["text"] if isinstance(value, dict) else value
                  for name, value in line.void_details.get("values", {}).items()}
        line.void_reason = (line.void_details["text"] % values)[:200]
        line.save(update_fields=["void_reason"])


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0011_ledger_debt_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='visitline',
            name='void_details',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(reasons_to_details, details_to_reasons),
    ]
