from django.core.management.base import BaseCommand, CommandError

from clinic.errors import DomainError
from partners.organisations.models import PartnerOrganisation
from partners.organisations.services import create_partner


class Command(BaseCommand):
    help = "Register a partner company and its first portal user (prints a one-time password)."

    def add_arguments(self, parser):
        parser.add_argument("--name", required=True)
        parser.add_argument("--registration-number", required=True)
        parser.add_argument("--kind", required=True, choices=PartnerOrganisation.Kind.values)
        parser.add_argument("--contact-name", required=True)
        parser.add_argument("--contact-email", required=True)
        parser.add_argument("--address", default="")
        parser.add_argument("--user-email", default="", help="the first user; the contact email when left out")

    def handle(self, *args, **options):
        try:
            created = create_partner(
                name=options["name"],
                registration_number=options["registration_number"],
                kind=options["kind"],
                contact_name=options["contact_name"],
                contact_email=options["contact_email"],
                address=options["address"],
                user_email=options["user_email"],
            )
        except DomainError as error:
            raise CommandError(f"{error.field or 'partner'}: {error.message}") from error
        self.stdout.write(self.style.SUCCESS(f"Registered partner company {created.organisation.name}"))
        self.stdout.write(
            f"Portal user: {created.member.user.email}  one-time password: {created.one_time_password}\n"
            "(it must be changed at the first login, at /portal/ on the public site)"
        )
