"""A line the system voided keeps its reason as data (``void_details``, read in the reader's language:
``clinic.texts``), and so does a payment the system made (``reason_details``); until now they were
written in the language of whoever caused them. The lines already moved to another payer ("Moved to
…", in any of the clinic's languages) are read back into data where the visit shows the move — the
same service entered again for that payer when the line was voided; a reason a person typed stays as
typed. (The platform orders' own reasons are read back by the platforms app's migration.)"""

import re

from django.db import migrations

import clinic.texts

MOVED = "Moved to %(payer)s"


def _pattern(translated: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)s", translated)
    regex = "".join(re.escape(part) if index % 2 == 0 else f"(?P<{part}>.+)" for index, part in enumerate(parts))
    return re.compile(f"^{regex}$", re.S)


def _readings():
    """(the pattern of "Moved to …", the word "Patient") in every language of the clinic."""
    from django.conf import settings
    from django.utils import translation

    readings = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            readings.append((_pattern(translation.gettext(MOVED)), translation.gettext("Patient")))
    return readings


def reasons_to_details(apps, schema_editor):
    VisitLine = apps.get_model("billing", "VisitLine")
    readings = None
    for line in (VisitLine.objects.exclude(void_reason="").exclude(voided_at=None).filter(void_details={})
                 .iterator(chunk_size=2000)):
        readings = readings if readings is not None else _readings()
        for pattern, patient_word in readings:
            found = pattern.match(line.void_reason)
            if not found:
                continue
            named = found["payer"]
            # The move itself: the same service entered again on the visit, for the payer named.
            for payer_kind, payer_name in (VisitLine.objects.filter(
                    visit_id=line.visit_id, service_id=line.service_id, created__gte=line.voided_at)
                    .exclude(pk=line.pk).values_list("payer__kind", "payer__name")):
                if payer_kind == "patient" and named == patient_word:
                    payer = {"text": "Patient"}
                elif payer_kind != "patient" and payer_name and named == payer_name:
                    payer = named
                else:
                    continue
                line.void_details = {"text": MOVED, "values": {"payer": payer}}
                line.void_reason = ""
                line.save(update_fields=["void_details", "void_reason"])
                break
            break


def details_to_reasons(apps, schema_editor):
    """Back to the reasons written out (in English), so that undoing the migration loses nothing."""
    VisitLine = apps.get_model("billing", "VisitLine")
    Payment = apps.get_model("billing", "Payment")
    for model, details_field, text_field in ((VisitLine, "void_details", "void_reason"),
                                             (Payment, "reason_details", "reason")):
        for row in model.objects.exclude(**{details_field: {}}).iterator(chunk_size=2000):
            details = getattr(row, details_field)
            values = {name: value["text"] if isinstance(value, dict) else value
                      for name, value in details.get("values", {}).items()}
            setattr(row, text_field, (details["text"] % values if values else details["text"])[:200])
            row.save(update_fields=[text_field])


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0011_ledger_debt_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='visitline',
            name='void_details',
            field=clinic.texts.SystemTextField(blank=True, default=dict, shown_with='void_reason',
                                               verbose_name='reason for voiding'),
        ),
        migrations.AddField(
            model_name='payment',
            name='reason_details',
            field=clinic.texts.SystemTextField(blank=True, default=dict, shown_with='reason', verbose_name='reason'),
        ),
        migrations.RunPython(reasons_to_details, details_to_reasons),
    ]
