"""A limit the system increased (a treatment plan approved) keeps its reason as data
(``reason_details``, read in the reader's language: ``clinic.texts``); until now it was written in the
language of whoever approved the plan. Such reasons already written, in any of the clinic's languages,
are read back into data; a person's own reason stays as typed."""

from django.db import migrations, models

import clinic.texts

APPROVED = "Treatment plan approved"


def reasons_to_details(apps, schema_editor):
    from django.conf import settings
    from django.utils import translation

    LimitIncrease = apps.get_model("barter", "LimitIncrease")
    written = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            written.add(translation.gettext(APPROVED))
    LimitIncrease.objects.filter(reason__in=written).update(reason="", reason_details={"text": APPROVED})


def details_to_reasons(apps, schema_editor):
    LimitIncrease = apps.get_model("barter", "LimitIncrease")
    LimitIncrease.objects.filter(reason_details={"text": APPROVED}).update(reason=APPROVED)


class Migration(migrations.Migration):

    dependencies = [
        ('barter', '0003_counterparties_and_postings'),
    ]

    operations = [
        migrations.AddField(
            model_name='limitincrease',
            name='reason_details',
            field=clinic.texts.SystemTextField(blank=True, default=dict, shown_with='reason', verbose_name='reason'),
        ),
        migrations.AlterField(
            model_name='limitincrease',
            name='reason',
            field=models.CharField(blank=True, max_length=200, verbose_name='reason'),
        ),
        migrations.RunPython(reasons_to_details, details_to_reasons),
    ]
