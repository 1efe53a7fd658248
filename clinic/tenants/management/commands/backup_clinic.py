from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from clinic.errors import DomainError
from clinic.tenants.backup import backup_clinic
from clinic.tenants.models import Clinic


class Command(BaseCommand):
    help = "Write one archive of a clinic: its schema (pg_dump), its files and a manifest."

    def add_arguments(self, parser):
        parser.add_argument("slug")
        parser.add_argument("--to", default=None, help=f"folder (default: BACKUP_DIR, {settings.BACKUP_DIR})")

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["slug"], is_template=False).first()
        if clinic is None:
            raise CommandError(f"No clinic {options['slug']}.")
        try:
            path = backup_clinic(clinic, Path(options["to"] or settings.BACKUP_DIR))
        except DomainError as error:
            raise CommandError(error.message) from error
        self.stdout.write(str(path))
