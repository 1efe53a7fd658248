"""Clinic settings, locations, practitioners (hours, breaks, absences) and services."""

from datetime import date, time
from decimal import Decimal

import pytest
from auditlog.models import LogEntry

from clinic.models import Absence, Break, Location, Practitioner, Service, WorkingHours
from tests.factories import LocationFactory, PractitionerFactory, ServiceFactory, WorkingHoursFactory

pytestmark = pytest.mark.django_db


def location_post(name="North", **days):
    data = {"name": name, "address": "5 North Road", "phone": "+40 21 000", "is_active": "on"}
    for weekday, (opens, closes) in days.items():
        data[f"opens_{weekday[-1]}"] = opens
        data[f"closes_{weekday[-1]}"] = closes
    return data


def test_clinic_settings_change_the_clinic_and_its_profile(tenant, client_for, manager):
    from clinic.models import ClinicProfile
    from clinic.tenants.models import Clinic

    response = client_for(manager).post(
        "/settings/",
        {"name": "Alpha Clinic", "time_zone": "Europe/Chisinau", "default_language": "ro", "legal_name": "Alpha SRL",
         "address": "1 Str", "phone": "1", "email": "a@alpha.example", "tax_number": "RO123"},
    )
    assert response.status_code == 302
    clinic = Clinic.objects.get(slug="alpha")
    assert (clinic.time_zone, clinic.default_language) == ("Europe/Chisinau", "ro")
    assert ClinicProfile.load().tax_number == "RO123"
    assert LogEntry.objects.get_for_object(clinic).filter(actor=manager).exists()


def test_settings_refuse_an_unknown_time_zone(tenant, client_for, manager):
    response = client_for(manager).post(
        "/settings/", {"name": "Alpha Clinic", "time_zone": "Mars/Base", "default_language": "en"}
    )
    assert response.status_code == 200
    assert b"Select a valid choice" in response.content


def test_manager_creates_a_location_with_opening_hours(tenant, client_for, manager):
    response = client_for(manager).post("/locations/new/", location_post(d0=("08:00", "18:00"), d5=("09:00", "13:00")))
    assert response.status_code == 302
    location = Location.objects.get(name="North")
    hours = {(h.weekday, h.opens, h.closes) for h in location.opening_hours.all()}
    assert hours == {(0, time(8), time(18)), (5, time(9), time(13))}


@pytest.mark.parametrize(
    "days, message",
    [
        ({"d0": ("18:00", "08:00")}, b"Closing time must be after opening time"),
        ({"d1": ("08:00", "")}, b"Enter both times"),
    ],
)
def test_bad_opening_hours_are_refused_and_nothing_saved(tenant, client_for, manager, days, message):
    response = client_for(manager).post("/locations/new/", location_post(**days))
    assert response.status_code == 200 and message in response.content
    assert not Location.objects.filter(name="North").exists()


def test_location_names_are_unique(tenant, client_for, manager):
    LocationFactory(name="South")
    response = client_for(manager).post("/locations/new/", location_post(name="south"))
    assert b"already exists" in response.content
    assert Location.objects.filter(name__iexact="south").count() == 1


def test_editing_a_location_replaces_its_opening_hours(tenant, client_for, manager):
    location = LocationFactory(name="East")
    response = client_for(manager).post(f"/locations/{location.pk}/", location_post(name="East", d2=("10:00", "16:00")))
    assert response.status_code == 302
    assert list(location.opening_hours.values_list("weekday", flat=True)) == [2]


def test_manager_creates_a_practitioner_with_specialities_and_a_user(tenant, client_for, manager, doctor):
    response = client_for(manager).post(
        "/practitioners/new/",
        {"full_name": "Dr Who", "user": doctor.pk, "specialities": "Cardiology, Cardiology , ECG", "colour": "#112233", "is_active": "on"},
    )
    assert response.status_code == 302
    practitioner = Practitioner.objects.get(full_name="Dr Who")
    assert practitioner.user == doctor
    assert sorted(practitioner.specialities.values_list("name", flat=True)) == ["Cardiology", "ECG"]


def test_a_staff_user_links_to_one_practitioner_only(tenant, client_for, manager, doctor):
    PractitionerFactory(user=doctor)
    response = client_for(manager).post(
        "/practitioners/new/", {"full_name": "Dr Two", "user": doctor.pk, "colour": "#112233", "is_active": "on"}
    )
    assert b"already linked" in response.content


def hours_post(rows, prefix="hours"):
    data = {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0"}
    for index, row in enumerate(rows):
        for key, value in row.items():
            data[f"{prefix}-{index}-{key}"] = value
    return data


def test_working_hours_are_saved_within_opening_hours(tenant, client_for, manager):
    practitioner = PractitionerFactory()
    location = LocationFactory()  # open Mon-Fri 08-20
    rows = [
        {"weekday": "0", "location": location.pk, "starts": "09:00", "ends": "13:00"},
        {"weekday": "0", "location": location.pk, "starts": "14:00", "ends": "18:00"},
    ]
    response = client_for(manager).post(f"/practitioners/{practitioner.pk}/hours/", hours_post(rows))
    assert response.status_code == 302
    assert practitioner.working_hours.count() == 2


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("0", "09:00", "13:00"), ("0", "12:00", "15:00")], b"overlap"),
        ([("6", "09:00", "13:00")], b"is not open on Sunday"),
        ([("0", "07:00", "13:00")], b"is not open on Monday"),
    ],
)
def test_bad_working_hours_are_refused_and_the_old_ones_kept(tenant, client_for, manager, rows, message):
    existing = WorkingHoursFactory()
    practitioner, location = existing.practitioner, existing.location
    data = hours_post([{"weekday": d, "location": location.pk, "starts": s, "ends": e} for d, s, e in rows])
    response = client_for(manager).post(f"/practitioners/{practitioner.pk}/hours/", data)
    assert response.status_code == 200 and message in response.content
    assert list(practitioner.working_hours.all()) == [existing]


def test_exclusion_constraint_refuses_overlapping_hours_at_two_locations(tenant):
    from django.db import IntegrityError, transaction

    first = WorkingHoursFactory(starts=time(9), ends=time(12))
    with pytest.raises(IntegrityError), transaction.atomic():
        WorkingHours.objects.create(
            practitioner=first.practitioner, location=LocationFactory(), weekday=0, starts=time(11), ends=time(14)
        )


def test_breaks_must_lie_within_working_hours(tenant, client_for, manager):
    hours = WorkingHoursFactory(starts=time(9), ends=time(17))
    client = client_for(manager)
    url = f"/practitioners/{hours.practitioner.pk}/breaks/"
    bad = client.post(url, hours_post([{"weekday": "0", "starts": "18:00", "ends": "18:30"}], "breaks"))
    assert b"within the working hours" in bad.content
    good = client.post(url, hours_post([{"weekday": "0", "starts": "13:00", "ends": "13:30"}], "breaks"))
    assert good.status_code == 302
    assert Break.objects.get(practitioner=hours.practitioner).starts == time(13)


def test_absences_are_added_refused_when_overlapping_and_removed(tenant, client_for, manager):
    practitioner = PractitionerFactory()
    client = client_for(manager)
    url = f"/practitioners/{practitioner.pk}/absences/"
    client.post(url, {"starts_on": "2030-07-01", "ends_on": "2030-07-14", "reason": "Holiday"})
    client.post(url, {"starts_on": "2030-07-10", "ends_on": "2030-07-20", "reason": "Overlap"})
    backwards = client.post(url, {"starts_on": "2030-08-10", "ends_on": "2030-08-01", "reason": "Backwards"}, follow=True)
    assert b"cannot be before the first day" in backwards.content
    absence = Absence.objects.get(practitioner=practitioner)
    assert (absence.starts_on, absence.ends_on) == (date(2030, 7, 1), date(2030, 7, 14))
    client.post(f"/absences/{absence.pk}/remove/")
    assert not Absence.objects.filter(practitioner=practitioner).exists()


def test_manager_adds_a_service_with_a_new_category(tenant, client_for, manager):
    response = client_for(manager).post(
        "/services/new/",
        {"code": "xr-1", "name": "X-ray", "new_category": "Imaging", "duration_minutes": "15", "price": "350.555",
         "vat_rate": "0", "is_active": "on"},
    )
    # Three decimals are refused by the form: money has two.
    assert response.status_code == 200
    response = client_for(manager).post(
        "/services/new/",
        {"code": "xr-1", "name": "X-ray", "new_category": "Imaging", "duration_minutes": "15", "price": "350.50",
         "vat_rate": "9", "is_active": "on"},
    )
    assert response.status_code == 302
    service = Service.objects.get(code="XR-1")
    assert service.price == Decimal("350.50") and service.category.name == "Imaging" and service.vat_rate == Decimal("9")


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"code": "dup-1"}, b"Another service already has this code"),
        ({"price": "-1"}, b"greater than or equal to 0"),
        ({"duration_minutes": "0"}, b"greater than or equal to 1"),
        ({"vat_rate": "120"}, b"less than or equal to 100"),
        ({"new_category": "", "category": ""}, b"Choose a category"),
    ],
)
def test_bad_service_input_is_refused(tenant, client_for, manager, changes, message):
    ServiceFactory(code="DUP-1")
    before = Service.objects.count()
    data = {"code": "NEW-1", "name": "New", "new_category": "Cat", "duration_minutes": "15", "price": "10",
            "vat_rate": "0", "is_active": "on"} | changes
    response = client_for(manager).post("/services/new/", data)
    assert response.status_code == 200 and message in response.content
    assert Service.objects.count() == before


def test_price_change_is_in_the_audit_trail_with_who_before_and_after(tenant, client_for, manager):
    service = ServiceFactory(price=Decimal("100.00"))
    client = client_for(manager)
    response = client.post(
        f"/services/{service.pk}/",
        {"code": service.code, "name": service.name, "category": service.category.pk, "duration_minutes": "30",
         "price": "120.00", "vat_rate": "0", "is_active": "on"},
    )
    assert response.status_code == 302
    entry = LogEntry.objects.get_for_object(service).latest("timestamp")
    assert entry.actor == manager
    assert entry.changes_dict["price"] == ["100.00", "120.00"]
    trail = client.get(f"/audit/service/{service.pk}/")
    assert b"100.00" in trail.content and b"120.00" in trail.content and manager.full_name.encode() in trail.content


def test_service_list_filters_and_pages_on_the_server(tenant, client_for, front_desk, django_assert_max_num_queries):
    ServiceFactory.create_batch(60, name="Massage")
    ServiceFactory(name="Whitening", code="WHT-1")
    client = client_for(front_desk)
    # django-tenants sets search_path before each query, so the count is doubled.
    with django_assert_max_num_queries(16):
        response = client.get("/services/?q=whiten")
    assert b"WHT-1" in response.content and b"Massage" not in response.content
    page = client.get("/services/?q=massage", HTTP_HX_REQUEST="true")
    assert b"<html" not in page.content  # an htmx fragment
    assert b"Page 1 of 2" in page.content


def test_home_shows_who_works_today(tenant, client_for, front_desk):
    from django.utils import timezone

    today = timezone.localdate().weekday()
    hours = WorkingHoursFactory(weekday=today)
    response = client_for(front_desk).get("/")
    assert hours.practitioner.full_name.encode() in response.content


def test_a_practitioners_trail_includes_their_hours_and_a_locations_its_opening_hours(tenant, client_for, manager):
    practitioner = PractitionerFactory()
    location = LocationFactory()  # opening hours Mon-Fri
    rows = [{"weekday": "1", "location": location.pk, "starts": "09:00", "ends": "12:00"}]
    client = client_for(manager)
    client.post(f"/practitioners/{practitioner.pk}/hours/", hours_post(rows))
    trail = client.get(f"/audit/practitioner/{practitioner.pk}/").content.decode()
    assert "working hours" in trail and manager.full_name in trail
    client.post(f"/locations/{location.pk}/", location_post(name=location.name, d3=("10:00", "14:00")))
    trail = client.get(f"/audit/location/{location.pk}/").content.decode()
    assert "opening hours" in trail
