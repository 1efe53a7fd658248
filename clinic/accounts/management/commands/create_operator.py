from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django_tenants.utils import schema_context

from clinic.accounts.models import User


class Command(BaseCommand):
    help = "Create (or reset the password of) an operator of the public console."

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--name", default="Operator")
        parser.add_argument("--password", required=True)

    def handle(self, *args, **options):
        if len(options["password"]) < 10:
            raise CommandError("Use a password of at least 10 characters.")
        with schema_context("public"):
            user = User.objects.filter(email__iexact=options["email"]).first()
            if user is None:
                user = User.objects.create_user(options["email"], options["name"], password=options["password"])
            else:
                user.set_password(options["password"])
            user.is_operator = True
            user.save()
        self.stdout.write(f"Operator {user.email} is ready ({connection.settings_dict['NAME']}).")
