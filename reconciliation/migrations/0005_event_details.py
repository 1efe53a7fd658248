"""Events keep what they were about as data (``details``), written out when read in the reader's
language (``reconciliation.history``). The history written before kept it as text: English words
and unformatted numbers for an import and a settlement request, the resolution in the language of
whoever resolved. Those notes are read back into details (a note that does not read as one of
them stays as it was)."""

import re

from django.db import migrations, models

IMPORTED = re.compile(r"^(?P<file>.*): (?P<rows>\d+) rows, (?P<differences>\d+) differences$", re.S)
REQUESTED = re.compile(r"^(?P<method>[a-z_]+) (?P<amount>-?\d+(?:\.\d+)?) (?P<currency>[A-Z]{3}) "
                       r"\((?P<statements>\d+) statements\)$")
RESOLUTIONS = {  # the choices' values and their labels when these events were written
    "platform": "Accept the platform's amount",
    "clinic": "Accept the clinic's amount",
    "disputed": "Disputed",
}


def _resolution_labels():
    """Every language's label of each resolution, the longest first."""
    from django.conf import settings
    from django.utils import translation

    labels = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            labels += [(translation.gettext(label), value) for value, label in RESOLUTIONS.items()]
    return sorted(set(labels), key=lambda pair: -len(pair[0]))


def notes_to_details(apps, schema_editor):
    StatementEvent = apps.get_model("reconciliation", "StatementEvent")
    BatchEvent = apps.get_model("reconciliation", "BatchEvent")
    for event in StatementEvent.objects.filter(action="imported").exclude(note=""):
        found = IMPORTED.match(event.note)
        if found:
            event.details = {"file": found["file"], "rows": int(found["rows"]),
                             "differences": int(found["differences"])}
            event.note = ""
            event.save(update_fields=["details", "note"])
    labels = None
    for event in StatementEvent.objects.filter(action="resolved").exclude(note=""):
        order, separator, rest = event.note.partition(": ")
        if not separator:
            continue
        labels = labels if labels is not None else _resolution_labels()
        for label, value in labels:
            if rest == label or rest.startswith(label + " "):
                event.details = {"order": order, "resolution": value}
                event.note = rest[len(label):].strip()
                event.save(update_fields=["details", "note"])
                break
    for event in BatchEvent.objects.filter(action="requested").exclude(note=""):
        found = REQUESTED.match(event.note)
        if found:
            event.details = {"method": found["method"], "amount": found["amount"], "currency": found["currency"],
                             "statements": int(found["statements"])}
            event.note = ""
            event.save(update_fields=["details", "note"])


def details_to_notes(apps, schema_editor):
    """Back to the notes as they were written (in English), so that undoing the migration loses nothing."""
    StatementEvent = apps.get_model("reconciliation", "StatementEvent")
    BatchEvent = apps.get_model("reconciliation", "BatchEvent")
    for event in StatementEvent.objects.exclude(details={}):
        details = event.details
        if "file" in details:
            event.note = f"{details['file']}: {details['rows']} rows, {details['differences']} differences"
        elif "order" in details:
            label = RESOLUTIONS.get(details["resolution"], details["resolution"])
            event.note = f"{details['order']}: {label} {event.note}"[:300]
        event.save(update_fields=["note"])
    for event in BatchEvent.objects.exclude(details={}):
        details = event.details
        if "method" in details:
            event.note = (f"{details['method']} {details['amount']} {details['currency']} "
                          f"({details['statements']} statements)")
            event.save(update_fields=["note"])


class Migration(migrations.Migration):

    dependencies = [
        ('reconciliation', '0004_statement_runs'),
    ]

    operations = [
        migrations.AddField(
            model_name='batchevent',
            name='details',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name='statementevent',
            name='details',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(notes_to_details, details_to_notes),
    ]
