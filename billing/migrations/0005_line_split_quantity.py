import re

from django.db import migrations, models


def split_quantity_from_description(apps, schema_editor):
    """Split lines written before the field stated their quantity only as "Service × N"."""
    VisitLine = apps.get_model("billing", "VisitLine")
    heads = VisitLine.objects.filter(split_rest__isnull=False).distinct()
    for line in VisitLine.objects.filter(models.Q(split_of__isnull=False) | models.Q(pk__in=heads)):
        match = re.search(r" × (\d+)$", line.description)
        line.split_quantity = int(match.group(1)) if match else 1
        line.save(update_fields=["split_quantity"])


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0004_write_off_entries"),
    ]

    operations = [
        migrations.AddField(
            model_name="visitline",
            name="split_quantity",
            field=models.PositiveIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(split_quantity_from_description, migrations.RunPython.noop),
    ]
