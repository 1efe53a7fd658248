from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.factories import (
    LocationFactory,
    PatientFactory,
    PractitionerFactory,
    ServiceFactory,
    WorkingHoursFactory,
)


def next_weekday(weekday: int, *, after_days: int = 1):
    day = timezone.localdate() + timedelta(days=after_days)
    while day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def at(day, hour, minute=0):
    """A moment in the clinic's own time zone (alpha: Europe/Bucharest)."""
    from zoneinfo import ZoneInfo

    from django.db import connection

    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(connection.tenant.time_zone))


@pytest.fixture
def clinic_day(tenant):
    """A practitioner working 09:00-17:00 on Mondays at a location (break 13:00-13:30), a 30-minute service."""
    from clinic.models import Break

    location = LocationFactory()
    practitioner = PractitionerFactory()
    WorkingHoursFactory(practitioner=practitioner, location=location, weekday=0)
    Break.objects.create(practitioner=practitioner, weekday=0, starts=time(13), ends=time(13, 30))
    return {
        "location": location,
        "practitioner": practitioner,
        "service": ServiceFactory(duration_minutes=30),
        "long_service": ServiceFactory(duration_minutes=45),
        "patient": PatientFactory(),
        "monday": next_weekday(0),
    }
