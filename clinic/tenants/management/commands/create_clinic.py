from django.core.management.base import BaseCommand, CommandError
from django_tenants.utils import schema_context

from clinic.errors import DomainError
from clinic.tenants.services import create_clinic


class Command(BaseCommand):
    help = "Create a clinic: its schema (cloned from the template), its domain and its first manager."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="short name; the clinic is served at <slug>.localhost")
        parser.add_argument("--name", required=True)
        parser.add_argument("--currency", required=True, help="ISO 4217 code, e.g. EUR")
        parser.add_argument("--timezone", required=True, help="e.g. Europe/Chisinau")
        parser.add_argument("--language", required=True, help="en, zh-hans, ru, ro or fa")
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-name", default="")
        parser.add_argument(
            "--send-mail", action="store_true", help="mail a set-password link instead of printing a one-time password"
        )

    def handle(self, *args, **options):
        with schema_context("public"):
            self._create(options)

    def _create(self, options):
        try:
            created = create_clinic(
                slug=options["slug"],
                name=options["name"],
                currency=options["currency"],
                time_zone=options["timezone"],
                language=options["language"],
                admin_email=options["admin_email"],
                admin_name=options["admin_name"],
                send_set_password_mail=options["send_mail"],
            )
        except DomainError as error:
            raise CommandError(f"{error.field or 'clinic'}: {error.message}") from error
        domain = created.clinic.primary_domain
        self.stdout.write(self.style.SUCCESS(f"Created clinic {created.clinic.name} at {domain}"))
        if created.one_time_password:
            self.stdout.write(
                f"First manager: {created.manager_email}  one-time password: {created.one_time_password}\n"
                "(it must be changed at the first login)"
            )
        else:
            self.stdout.write(f"A set-password link was mailed to {created.manager_email}.")
