"""Store every user's e-mail address normalised (stripped, lower case), in every schema."""

from django.db import migrations
from django.db.models.functions import Lower, Trim


def normalise(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    # The case-insensitive unique constraint already forbids two case variants.
    User.objects.exclude(email=Lower(Trim("email"))).update(email=Lower(Trim("email")))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
