"""Two partner companies with portal users, for ``make demo`` (idempotent)."""

from django_tenants.utils import schema_context

from .models import PartnerOrganisation
from .services import create_partner

# (name, registration number, kind, contact, user email)
DEMO_PARTNERS = [
    ("MedAsist Call Centre SRL", "1019600012345", "call_centre", "Irina Lungu", "irina@medasist.example"),
    ("Dr. Victor Rusu, family doctor", "2004500067890", "individual_doctor", "Victor Rusu", "victor@rusu.example"),
]


def seed_partners(password: str) -> None:
    with schema_context("public"):
        for name, number, kind, contact, email in DEMO_PARTNERS:
            if PartnerOrganisation.objects.filter(registration_number=number).exists():
                continue
            create_partner(
                name=name,
                registration_number=number,
                kind=kind,
                contact_name=contact,
                contact_email=email,
                password=password,
            )
