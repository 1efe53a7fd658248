from django.conf import settings
from django.core.management.base import BaseCommand

from clinic.tenants.models import Clinic, Domain
from clinic.tenants.services import ensure_template_schema


class Command(BaseCommand):
    help = "Make sure the public site's row and domain and the clinic template schema exist (idempotent)."

    def handle(self, *args, **options):
        public = Clinic.objects.filter(schema_name="public").first()
        if public is None:
            public = Clinic(schema_name="public", slug="public-site", name="Clinic Channels", currency="EUR")
            public.save(verbosity=0)
        Domain.objects.get_or_create(domain=settings.PUBLIC_DOMAIN, defaults={"tenant": public, "is_primary": True})
        ensure_template_schema()
        self.stdout.write("Public site and clinic template are ready.")
