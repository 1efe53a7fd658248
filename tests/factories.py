"""factory-boy factories for the clinic's master data (used inside a clinic schema)."""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from decimal import Decimal

import factory
from django.contrib.auth.models import Group

from clinic.accounts.models import User
from clinic.models import Location, OpeningHours, Practitioner, Service, ServiceCategory, WorkingHours

_counter = itertools.count(1)


def make_staff(role: str | None, *, email: str | None = None, password: str = "a-long-test-password", **extra) -> User:
    number = next(_counter)
    user = User.objects.create_user(
        email or f"{role or 'nobody'}-{number}@staff.example", f"{(role or 'No role').title()} {number}", password, **extra
    )
    if role:
        user.groups.add(Group.objects.get(name=role))
    return user


class ServiceCategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Category {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    code = factory.Sequence(lambda n: f"SRV-{n:04d}")
    name = factory.Sequence(lambda n: f"Service {n}")
    category = factory.SubFactory(ServiceCategoryFactory)
    duration_minutes = 30
    price = Decimal("100.00")
    vat_rate = Decimal("0.00")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Location {n}")
    address = "1 Main Street"

    @factory.post_generation
    def open_weekdays(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            for weekday in range(5):
                OpeningHours.objects.create(location=obj, weekday=weekday, opens=time(8), closes=time(20))


class PractitionerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Practitioner

    full_name = factory.Sequence(lambda n: f"Dr Test {n}")


class WorkingHoursFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = WorkingHours

    practitioner = factory.SubFactory(PractitionerFactory)
    location = factory.SubFactory(LocationFactory)
    weekday = 0
    starts = time(9)
    ends = time(17)


def open_every_day(location, practitioner, *, opens=time(8), closes=time(20), starts=time(9), ends=time(17)):
    """The location open, and the practitioner working there, every day of the week."""
    for weekday in range(7):
        OpeningHours.objects.get_or_create(location=location, weekday=weekday,
                                           defaults={"opens": opens, "closes": closes})
        WorkingHoursFactory(practitioner=practitioner, location=location, weekday=weekday, starts=starts, ends=ends)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "patients.Patient"

    first_name = factory.Sequence(lambda n: f"Pat{n}")
    last_name = "Testescu"
    phone = factory.Sequence(lambda n: f"+3736{n:07d}")


class AppointmentFactory(factory.django.DjangoModelFactory):
    """An appointment straight in the database (no booking rules): for lists and permissions."""

    class Meta:
        model = "scheduling.Appointment"

    location = factory.SubFactory(LocationFactory)
    practitioner = factory.SubFactory(PractitionerFactory)
    patient = factory.SubFactory(PatientFactory)
    starts_at = factory.LazyFunction(lambda: _tomorrow_at(10))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + timedelta(minutes=30))


def _tomorrow_at(hour: int):
    from datetime import datetime

    from django.utils import timezone

    day = timezone.localdate() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, time(hour)))


def one_page_pdf() -> bytes:
    """A real (blank) one-page PDF, as an upload's checks parse it."""
    import io

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def png_image(size=(4, 4)) -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, "white").save(out, "PNG")
    return out.getvalue()


def pass_second_factor(client, user):
    """Mark ``client``'s session (logged in as ``user``) as signed in with two factors, with an
    authenticator made for the user (operators need one: clinic.accounts.two_factor)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="Test authenticator", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def arrive(appointment, *, actor):
    """Register the patient's arrival on the appointment's own day (arrival is refused on
    any other day), at its start, with the clock running."""
    import time_machine

    from clinic.scheduling.services import change_status

    with time_machine.travel(appointment.starts_at, tick=True):
        return change_status(appointment, "arrive", actor=actor)
