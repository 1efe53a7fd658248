"""Demo data for one clinic: believable, deterministic and idempotent."""

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from auditlog.context import disable_auditlog
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_tenants.utils import tenant_context

from clinic.accounts.models import User
from clinic.accounts.roles import Role
from clinic.demo_clock import demo_time
from clinic.models import (
    Break,
    ClinicProfile,
    Location,
    OpeningHours,
    Practitioner,
    Service,
    ServiceCategory,
    Speciality,
    WorkingHours,
)
from clinic.tenants.models import Clinic

DEMO_PASSWORD = "demo-pass-2026"

FIRST_NAMES = [
    "Ana", "Maria", "Elena", "Ioana", "Cristina", "Natalia", "Olga", "Tatiana", "Irina", "Svetlana", "Daniela",
    "Victoria", "Alexandra", "Diana", "Ecaterina", "Andrei", "Ion", "Mihai", "Sergiu", "Alexandru", "Dmitri",
    "Vladimir", "Nicolae", "Vasile", "Igor", "Pavel", "Radu", "Ștefan", "Cătălin", "Artiom",
]
LAST_NAMES = [
    "Rusu", "Ceban", "Popa", "Lungu", "Munteanu", "Cojocaru", "Țurcanu", "Moraru", "Sîrbu", "Ciobanu", "Bălan",
    "Roșca", "Guțu", "Ivanov", "Petrov", "Smirnova", "Volkova", "Grosu", "Botnaru", "Melnic", "Rotaru", "Cazacu",
]
SOURCES = ["walk_in", "phone", "phone", "web", "referral", "partner", "platform"]

LOCATIONS = [
    ("Central", "12 Stefan cel Mare Blvd, Chisinau", "+373 22 100 200", (time(8), time(20)), (time(9), time(14))),
    ("Riverside", "4 Calea Iesilor, Chisinau", "+373 22 100 300", (time(9), time(19)), None),
]

PRACTITIONERS = [
    ("Dr Elena Rusu", ["General dentistry"], "#4f7cac", "Central", [0, 1, 2, 3, 4], (time(9), time(17))),
    ("Dr Andrei Popescu", ["Orthodontics"], "#7a9e7e", "Central", [0, 2, 4, 5], (time(10), time(18))),
    ("Dr Maria Ionescu", ["Family medicine"], "#c98b5e", "Riverside", [0, 1, 2, 3, 4], (time(9), time(16))),
    ("Dr Victor Ceban", ["Cardiology", "Internal medicine"], "#9b6fb0", "Riverside", [1, 3], (time(10), time(18))),
    ("Ana Munteanu", ["Physiotherapy"], "#5aa9a1", "Riverside", [0, 1, 2, 3, 4], (time(11), time(19))),
    ("Dr Ion Grosu", ["Radiology"], "#b05f6d", "Central", [0, 1, 2, 3, 4, 5], (time(8), time(14))),
]

SERVICES = {
    "Consultations": [
        ("CON-01", "Initial consultation", 30, "450.00"),
        ("CON-02", "Follow-up consultation", 20, "300.00"),
        ("CON-03", "Cardiology consultation", 40, "600.00"),
        ("CON-04", "Family doctor visit", 20, "250.00"),
        ("CON-05", "Second opinion review", 45, "700.00"),
        ("CON-06", "Orthodontic consultation", 30, "400.00"),
        ("CON-07", "Online consultation", 20, "280.00"),
        ("CON-08", "Preventive check-up", 60, "950.00"),
    ],
    "Dentistry": [
        ("DEN-01", "Professional cleaning", 45, "800.00"),
        ("DEN-02", "Composite filling, one surface", 40, "900.00"),
        ("DEN-03", "Composite filling, two surfaces", 50, "1150.00"),
        ("DEN-04", "Root canal treatment, one canal", 90, "1800.00"),
        ("DEN-05", "Simple extraction", 30, "650.00"),
        ("DEN-06", "Wisdom tooth extraction", 60, "1500.00"),
        ("DEN-07", "Teeth whitening", 60, "2500.00"),
        ("DEN-08", "Fluoride varnish", 15, "200.00"),
        ("DEN-09", "Ceramic crown", 60, "4200.00"),
        ("DEN-10", "Braces adjustment", 30, "500.00"),
    ],
    "Diagnostics": [
        ("DIA-01", "Panoramic dental X-ray", 15, "350.00"),
        ("DIA-02", "Chest X-ray", 15, "300.00"),
        ("DIA-03", "Abdominal ultrasound", 30, "550.00"),
        ("DIA-04", "Thyroid ultrasound", 20, "400.00"),
        ("DIA-05", "Electrocardiogram (ECG)", 20, "250.00"),
        ("DIA-06", "Echocardiography", 40, "750.00"),
        ("DIA-07", "24-hour Holter monitoring", 20, "900.00"),
        ("DIA-08", "Cone beam CT, one jaw", 20, "1100.00"),
    ],
    "Laboratory": [
        ("LAB-01", "Complete blood count", 10, "120.00"),
        ("LAB-02", "Lipid profile", 10, "220.00"),
        ("LAB-03", "Blood glucose", 10, "60.00"),
        ("LAB-04", "HbA1c", 10, "180.00"),
        ("LAB-05", "Thyroid panel (TSH, FT4)", 10, "320.00"),
        ("LAB-06", "Vitamin D", 10, "350.00"),
        ("LAB-07", "Urinalysis", 10, "90.00"),
    ],
    "Physiotherapy": [
        ("PHY-01", "Physiotherapy assessment", 45, "500.00"),
        ("PHY-02", "Therapeutic massage, 30 min", 30, "350.00"),
        ("PHY-03", "Therapeutic massage, 60 min", 60, "600.00"),
        ("PHY-04", "Kinesiotherapy session", 45, "450.00"),
        ("PHY-05", "Shock wave therapy", 20, "550.00"),
        ("PHY-06", "Electrotherapy", 20, "250.00"),
        ("PHY-07", "Post-operative rehabilitation", 60, "700.00"),
    ],
}

DEMO_USERS = [
    ("manager@demo.example", "Mihaela Manager", Role.MANAGER),
    ("frontdesk@demo.example", "Felicia Front-Desk", Role.FRONT_DESK),
    ("doctor@demo.example", "Dr Elena Rusu", Role.DOCTOR),
    ("marketing@demo.example", "Marcel Marketing", Role.MARKETING),
    ("sales@demo.example", "Sergiu Sales", Role.SALES_HEAD),
    ("finance@demo.example", "Fiona Finance", Role.FINANCE),
]


class Command(BaseCommand):
    help = "Fill a clinic with demo data: locations, practitioners, price list, one user per role."

    def add_arguments(self, parser):
        parser.add_argument("--clinic", default="demo", help="the clinic's short name")

    def handle(self, *args, **options):
        clinic = Clinic.objects.filter(slug=options["clinic"], is_template=False).first()
        if clinic is None:
            raise CommandError(f"No clinic with short name {options['clinic']!r}.")
        with tenant_context(clinic), transaction.atomic(), disable_auditlog():
            seed_clinic()
        # The partner companies (public) and their links to this clinic, with bookings made from
        # the portal: each booking is a transaction of its own, after the clinic's data.
        from partners.demo import seed_partner_links
        from partners.organisations.demo import seed_partners

        seed_partners(DEMO_PASSWORD)
        with tenant_context(clinic):
            seed_partner_links()
            # The statistics' days folded, as beat's task does every few minutes in production
            # (the demo runs no beat: days changed later are read live).
            from partners.reports import fold_statistics

            fold_statistics()
        # The platforms (public) with their products, the clinic enrolled and its channel inventory.
        from platforms.demo import seed_platforms

        seed_platforms(clinic)
        # Orders in every status, made through the real paths (signed messages, confirmation,
        # the visit, redemption), each at its own time; then the months they make to reconcile.
        from platforms.demo import seed_platform_orders
        from reconciliation.demo import seed_reconciliation

        with tenant_context(clinic), disable_auditlog():
            seed_platform_orders(clinic)
            manager = User.objects.filter(email="manager@demo.example").first()
            for path in seed_reconciliation(clinic, manager):
                self.stdout.write(f"A platform's statement of last month to import: {path}")
        self.stdout.write(f"Demo data ready in {clinic.name}.")


def seed_clinic() -> None:
    profile = ClinicProfile.load()
    if not profile.legal_name:
        profile.legal_name = "Demo Clinic LLC"
        profile.address = LOCATIONS[0][1]
        profile.phone = LOCATIONS[0][2]
        profile.email = "hello@demo.example"
        profile.tax_number = "1009600012345"
        profile.save()

    locations = {}
    for name, address, phone, weekdays, saturday in LOCATIONS:
        location, created = Location.objects.get_or_create(name=name, defaults={"address": address, "phone": phone})
        locations[name] = location
        if created:
            for weekday in range(5):
                OpeningHours.objects.create(location=location, weekday=weekday, opens=weekdays[0], closes=weekdays[1])
            if saturday:
                OpeningHours.objects.create(location=location, weekday=5, opens=saturday[0], closes=saturday[1])

    users = {}
    for email, full_name, role in DEMO_USERS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user = User.objects.create_user(email, full_name, password=DEMO_PASSWORD)
            user.groups.add(Group.objects.get(name=role))
        users[role] = user

    for full_name, specialities, colour, location_name, days, (starts, ends) in PRACTITIONERS:
        practitioner, created = Practitioner.objects.get_or_create(full_name=full_name, defaults={"colour": colour})
        if not created:
            continue
        if full_name == "Dr Elena Rusu":
            practitioner.user = users[Role.DOCTOR]
            practitioner.save()
        practitioner.specialities.set([Speciality.objects.get_or_create(name=s)[0] for s in specialities])
        location = locations[location_name]
        for weekday in days:
            opening = location.opening_hours.filter(weekday=weekday).first()
            if opening is None:
                continue
            day_start, day_end = max(starts, opening.opens), min(ends, opening.closes)
            WorkingHours.objects.create(
                practitioner=practitioner, location=location, weekday=weekday, starts=day_start, ends=day_end
            )
            if day_end.hour - day_start.hour >= 6:
                Break.objects.create(practitioner=practitioner, weekday=weekday, starts=time(13), ends=time(13, 30))

    for category_name, rows in SERVICES.items():
        category, _created = ServiceCategory.objects.get_or_create(name=category_name)
        for code, name, minutes, price in rows:
            Service.objects.get_or_create(
                code=code,
                defaults={
                    "name": name,
                    "category": category,
                    "duration_minutes": minutes,
                    "price": Decimal(price),
                    "vat_rate": Decimal("0.00") if category_name != "Physiotherapy" else Decimal("8.00"),
                },
            )

    seed_patients_and_appointments(users[Role.FRONT_DESK])
    seed_billing(users)


def seed_patients_and_appointments(front_desk) -> None:
    """200 patients (some sharing a phone) and a month of appointments around today; once."""
    from django.db import connection

    from clinic.patients.models import Flag, Patient, PatientFlag, PhoneRelation
    from clinic.scheduling.models import LIVE_STATUSES, Appointment, AppointmentService, Status

    if Patient.objects.exists():
        return
    rng = random.Random(2026)
    patients = []
    for index in range(200):
        sharing = patients and index % 9 == 0
        owner = rng.choice([p for p in patients if p.phone_owner_id is None]) if sharing else None
        patient = Patient(
            first_name=rng.choice(FIRST_NAMES),
            last_name=owner.last_name if owner else rng.choice(LAST_NAMES),
            birth_date=date(rng.randint(1945, 2020), rng.randint(1, 12), rng.randint(1, 28)),
            phone=owner.phone if owner else f"+3736{rng.randint(0, 9999999):07d}",
            phone_owner=owner,
            phone_relation=PhoneRelation.CHILD if owner else PhoneRelation.SELF,
            email=f"patient{index + 1}@mail.example" if rng.random() < 0.6 else "",
            source=rng.choice(SOURCES),
            consent_to_contact=rng.random() < 0.7,
            created_by=front_desk,
        )
        patient.save()
        patients.append(patient)
    vip = Flag.objects.filter(code="vip").first()
    if vip:
        for patient in patients[::23]:
            PatientFlag.objects.create(patient=patient, flag=vip, set_by=front_desk)

    zone = ZoneInfo(connection.tenant.time_zone)
    today = datetime.now(zone).date()
    services = list(Service.objects.filter(is_active=True))
    if not services:
        return
    for practitioner in Practitioner.objects.prefetch_related("working_hours", "breaks"):
        for offset in range(-14, 15):
            day = today + timedelta(days=offset)
            for hours in [h for h in practitioner.working_hours.all() if h.weekday == day.weekday()]:
                cursor = datetime.combine(day, hours.starts, tzinfo=zone)
                end = datetime.combine(day, hours.ends, tzinfo=zone)
                breaks = [
                    (datetime.combine(day, b.starts, tzinfo=zone), datetime.combine(day, b.ends, tzinfo=zone))
                    for b in practitioner.breaks.all() if b.weekday == day.weekday()
                ]
                while cursor < end:
                    service = rng.choice(services)
                    finish = cursor + timedelta(minutes=service.duration_minutes)
                    clash = any(cursor < b_end and b_start < finish for b_start, b_end in breaks)
                    if finish > end or clash or rng.random() < 0.45:
                        cursor += timedelta(minutes=30)
                        continue
                    if offset < 0:
                        status = rng.choice([Status.COMPLETED] * 8 + [Status.NO_SHOW, Status.CANCELLED])
                    elif offset == 0:
                        status = rng.choice([Status.CONFIRMED, Status.BOOKED, Status.ARRIVED])
                    else:
                        status = rng.choice([Status.BOOKED, Status.CONFIRMED])
                    appointment = Appointment.objects.create(
                        location=hours.location, practitioner=practitioner, patient=rng.choice(patients),
                        starts_at=cursor, ends_at=finish, status=status, source=rng.choice(["phone", "walk_in", "web"]),
                        booked_by=front_desk, cancel_reason="Patient called" if status == Status.CANCELLED else "",
                    )
                    AppointmentService.objects.create(appointment=appointment, service=service)
                    # The next one starts on a quarter hour, as a receptionist would book it.
                    cursor = _next_quarter(finish) if status in LIVE_STATUSES else cursor + timedelta(minutes=30)


def seed_billing(users) -> None:
    """Visits for most completed appointments, paid in full, in part or from a deposit;
    deposits, refunds, a promotion, the customer club and CRM tasks; once.

    Each visit is made as if it were the end of its appointment (the clock is set back
    while the services run), so the ledger's postings carry the day they happened and
    nothing rewrites the ledger afterwards (it is append-only, down to the database).
    """
    from django.db import connection

    from billing import ledger
    from billing import services as billing
    from billing.models import Activity, BillingSettings, Promotion, Visit
    from clinic.patients.models import Patient
    from clinic.scheduling.models import Appointment, Status

    if Visit.objects.exists():
        return
    rng = random.Random(2027)
    cashier, manager = users[Role.FRONT_DESK], users[Role.MANAGER]
    club = BillingSettings.load()
    club.points_per_unit, club.point_value = Decimal("0.05"), Decimal("1.00")
    club.save()
    today = datetime.now(ZoneInfo(connection.tenant.time_zone)).date()
    laboratory = ServiceCategory.objects.filter(name="Laboratory").first()
    Promotion.objects.get_or_create(
        name="Laboratory check-up weeks", defaults={"category": laboratory, "kind": "percent", "value": Decimal("10"),
                                              "valid_from": today - timedelta(days=20),
                                              "valid_until": today + timedelta(days=20)},
    )
    done = Appointment.objects.filter(status=Status.COMPLETED).select_related("patient").order_by("starts_at")
    for appointment in done:
        if rng.random() < 0.15:
            continue
        with demo_time(appointment.ends_at):
            patient = appointment.patient
            visit = billing.open_visit(patient=patient, location=None, appointment=appointment, actor=cashier)
            if rng.random() < 0.25:
                extra = rng.choice(list(Service.objects.filter(is_active=True, price__lt=500)))
                billing.add_line(visit, service=extra, actor=cashier)
            due = ledger.visit_due(visit, billing.patient_account(patient))
            roll = rng.random()
            if due > 0 and roll < 0.1:
                with demo_time(appointment.ends_at - timedelta(days=7)):
                    deposit = billing.receive_deposit(patient=patient,
                                                      amount=due + Decimal(rng.choice([0, 200, 500])),
                                                      method="transfer", actor=cashier, note="Treatment plan")
                billing.take_payment(patient=patient, visit=visit, method="deposit", deposit=deposit, amount=due,
                                     actor=cashier)
            elif due > 0 and roll < 0.85:
                method = rng.choice(["cash", "card", "card"])
                payment = billing.take_payment(patient=patient, visit=visit, method=method, amount=due,
                                               tendered=(due // 100 + 1) * 100 if method == "cash" else None,
                                               actor=cashier)
                if rng.random() < 0.03:
                    billing.refund_payment(payment, amount=min(due, Decimal("100")), reason="Treatment not finished",
                                           actor=manager)
            elif due > 0 and roll < 0.95:
                billing.take_payment(patient=patient, visit=visit, method="card", amount=(due / 2).quantize(
                    Decimal("1")), actor=cashier)
            billing.close_visit(visit, actor=cashier)
    for patient in Patient.objects.order_by("?")[:5]:
        billing.receive_deposit(patient=patient, amount=Decimal(rng.choice([500, 1000, 1500])), method="card",
                                actor=cashier, note="Orthodontic plan")
    seed_barter(users, today)
    subjects = ["Call about the treatment plan", "Remind of the check-up in six months",
                "Follow up after the extraction", "Confirm the implant date"]
    for index, patient in enumerate(Patient.objects.order_by("number")[:12]):
        Activity.objects.create(patient=patient, kind=rng.choice(["call", "reminder", "follow_up"]),
                                subject=subjects[index % len(subjects)],
                                due_date=today + timedelta(days=rng.randint(-2, 7)),
                                assignee=cashier, created_by=manager)


def seed_barter(users, today) -> None:
    """A barter company with two reviewed employees (one nearly exhausted) and a public person."""
    from billing import services as billing
    from billing.barter.services import register_policy, review_policy, save_agreement
    from clinic.patients.models import Patient

    marketing, manager, cashier = users[Role.MARKETING], users[Role.MANAGER], users[Role.FRONT_DESK]
    covered = list(ServiceCategory.objects.filter(name__in=["Dentistry", "Consultations", "Diagnostics"]))
    company = save_agreement(None, actor=marketing, data={
        "kind": "company", "name": "Radio Plus SRL", "overspend": "company",
        "legal_details": "IDNO 1003600123456, Chișinău", "contact": "Ana Cebotari, +373 22 123 456",
        "valid_from": today - timedelta(days=60), "valid_until": today + timedelta(days=300), "categories": covered})
    person = save_agreement(None, actor=marketing, data={
        "kind": "public_person", "name": "Ion Brăescu (TV presenter)", "overspend": "patient",
        "valid_from": today - timedelta(days=10), "valid_until": today + timedelta(days=180), "categories": covered})
    patients = list(Patient.objects.order_by("number")[20:23])
    for patient, agreement, number, limit in ((patients[0], company, "RP-001", "20000"),
                                              (patients[1], company, "RP-002", "5000"),
                                              (patients[2], person, "PP-001", "15000")):
        policy = review_policy(register_policy(agreement=agreement, patient=patient, number=number, limit=limit,
                                               actor=marketing), actor=manager)
        if number == "RP-002":  # most of the limit used already
            location = Location.objects.order_by("name").first()
            visit = billing.open_visit(patient=patient, location=location, actor=cashier)
            service = Service.objects.filter(category__in=covered, price__gt=0).order_by("-price").first()
            quantity = int(Decimal("4500") // service.price) or 1
            billing.add_line(visit, service=service, quantity=quantity, payer=policy.payer, actor=cashier)
            billing.close_visit(visit, actor=cashier)




def _next_quarter(moment: datetime) -> datetime:
    extra = moment.minute % 15
    return moment + timedelta(minutes=15 - extra) if extra else moment
