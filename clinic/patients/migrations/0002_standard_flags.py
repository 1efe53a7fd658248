from django.db import migrations

STANDARD_FLAGS = [
    ("barter", "Barter", "#e83e8c"),
    ("vip", "VIP", "#6f42c1"),
    ("allergy", "Allergy", "#dc3545"),
]


def create_flags(apps, schema_editor):
    Flag = apps.get_model("patients", "Flag")
    for code, label, colour in STANDARD_FLAGS:
        Flag.objects.get_or_create(code=code, defaults={"label": label, "colour": colour})


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]

    operations = [migrations.RunPython(create_flags, migrations.RunPython.noop)]
