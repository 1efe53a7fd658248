"""What the system says of an appointment becomes a notice kept as data (``notices``, read in the
reader's language: ``clinic.texts``); until now the barter notice was written into the people's
note, in the language of whoever exhausted the limit. Such notices already written, in any of the
clinic's languages, move from the note to the notices; the rest of the note stays as typed."""

from django.db import migrations

import clinic.texts

PAYS_WITH_MONEY = "Patient pays with money — barter limit exhausted."


def notes_to_notices(apps, schema_editor):
    from django.conf import settings
    from django.utils import translation

    Appointment = apps.get_model("scheduling", "Appointment")
    written = set()
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            written.add(translation.gettext(PAYS_WITH_MONEY))
    for text in written:
        for appointment in Appointment.objects.filter(note__contains=text).iterator(chunk_size=2000):
            appointment.note = appointment.note.replace(text, "", 1).strip()
            appointment.notices = [{"text": PAYS_WITH_MONEY}]
            appointment.save(update_fields=["note", "notices"])


def notices_to_notes(apps, schema_editor):
    """Back into the note (in English), so that undoing the migration loses nothing."""
    Appointment = apps.get_model("scheduling", "Appointment")
    for appointment in Appointment.objects.exclude(notices=[]).iterator(chunk_size=2000):
        texts = [notice["text"] for notice in appointment.notices]
        appointment.note = "\n".join([*texts, appointment.note]).strip()
        appointment.save(update_fields=["note"])


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0001_initial'),
    ]

    operations = [
        migrations.AddField(
            model_name='appointment',
            name='notices',
            field=clinic.texts.SystemTextField(blank=True, default=list, many=True, verbose_name='notices'),
        ),
        migrations.RunPython(notes_to_notices, notices_to_notes),
    ]
