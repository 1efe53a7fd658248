from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from clinic.errors import DomainError
from clinic.tenants.backup import restore_clinic


class Command(BaseCommand):
    help = "Bring a clinic archive (backup_clinic) back as a new clinic."

    def add_arguments(self, parser):
        parser.add_argument("archive")
        parser.add_argument("--slug", required=True, help="the new clinic's short name")
        parser.add_argument("--name", default=None, help="its name (default: the archived clinic's)")

    def handle(self, *args, **options):
        try:
            restored = restore_clinic(Path(options["archive"]), slug=options["slug"], name=options["name"])
        except DomainError as error:
            raise CommandError(error.message) from error
        domain = restored.clinic.get_primary_domain().domain
        self.stdout.write(f"Restored {restored.clinic.name} as {restored.clinic.slug} ({domain}): "
                          f"{restored.tables} tables, {restored.rows} rows; row counts and ledger sums match.")
