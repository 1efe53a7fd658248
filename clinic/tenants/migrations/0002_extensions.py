"""PostgreSQL extensions live in the public schema, created by this shared-app migration.

A tenant migration would create them inside the first clinic's schema, and
dropping that clinic would silently drop every other clinic's constraints.
"""

from django.contrib.postgres.operations import BtreeGistExtension, TrigramExtension
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("tenants", "0001_initial")]

    operations = [BtreeGistExtension(), TrigramExtension()]
