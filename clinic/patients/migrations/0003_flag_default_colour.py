from django.db import migrations, models

OLD, NEW = "#e83e8c", "#c2255c"  # white on the old pink read at 3.81:1; on the new one at 5.66:1


def darker_barter_pink(apps, schema_editor):
    Flag = apps.get_model("patients", "Flag")
    Flag.objects.filter(code="barter", colour__iexact=OLD).update(colour=NEW)


def lighter_barter_pink(apps, schema_editor):
    Flag = apps.get_model("patients", "Flag")
    Flag.objects.filter(code="barter", colour__iexact=NEW).update(colour=OLD)


class Migration(migrations.Migration):
    dependencies = [("patients", "0002_standard_flags")]

    operations = [
        migrations.AlterField(
            model_name="flag",
            name="colour",
            field=models.CharField(default=NEW, max_length=7, verbose_name="colour"),
        ),
        migrations.RunPython(darker_barter_pink, lighter_barter_pink),
    ]
