"""Patients: numbers, search, the shared-phone decision, flags, editing."""

import pytest
from auditlog.models import LogEntry

from clinic.errors import DomainError
from clinic.patients.models import Flag, Patient
from clinic.patients.services import (
    NEW_SHARING,
    SAME_PERSON,
    PatientData,
    PhoneInUse,
    register_patient,
    search_patients,
)
from tests.factories import AppointmentFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_patient_numbers_come_from_the_clinics_sequence(tenant, front_desk):
    first = register_patient(PatientData("Ana", "Rusu"), actor=front_desk)
    second = register_patient(PatientData("Ion", "Rusu"), actor=front_desk)
    assert second.number == first.number + 1


def test_numbers_are_per_clinic(in_clinic, clinic_a, clinic_b):
    with in_clinic(clinic_a):
        a = PatientFactory()
    with in_clinic(clinic_b):
        b = PatientFactory()
    # Each clinic has its own sequence: both start from the same range.
    assert abs(a.number - b.number) < 10_000


@pytest.mark.parametrize(
    "query",
    ["stefan", "ȘTEFAN", "turcanu", "stef turc", "69123", "+373 691", "1985-03-07", "07.03.1985"],
)
def test_search_by_any_part_accent_and_case_insensitive(tenant, query):
    from datetime import date

    wanted = PatientFactory(first_name="Ștefan", last_name="Țurcanu", phone="+37369123456", birth_date=date(1985, 3, 7))
    PatientFactory(first_name="Maria", last_name="Popa", phone="+37378000000")
    assert list(search_patients(query)) == [wanted]


def test_search_by_patient_number(tenant):
    patient = PatientFactory()
    assert list(search_patients(str(patient.number))) == [patient]


def test_search_uses_the_trigram_index(tenant):
    from django.db import connection

    PatientFactory.create_batch(3)
    sql, params = search_patients("stef").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "patients_search_trgm" in plan


def test_a_phone_in_use_asks_whether_it_is_the_same_person(tenant, front_desk):
    owner = PatientFactory(phone="+37369555000")
    with pytest.raises(PhoneInUse) as asked:
        register_patient(PatientData("Mic", "Copil", phone="+373 69 555 000"), actor=front_desk)
    assert asked.value.owners == [owner]
    with pytest.raises(DomainError):
        register_patient(PatientData("Mic", "Copil", phone="+37369555000"), actor=front_desk, phone_decision=SAME_PERSON)
    with pytest.raises(DomainError, match="related"):
        register_patient(
            PatientData("Mic", "Copil", phone="+37369555000"), actor=front_desk, phone_decision=NEW_SHARING, relation="self"
        )
    child = register_patient(
        PatientData("Mic", "Copil", phone="+37369555000"), actor=front_desk, phone_decision=NEW_SHARING, relation="child"
    )
    assert child.phone_owner == owner and child.phone_relation == "child"
    assert Patient.objects.filter(phone="+37369555000").count() == 2


def test_new_patient_screen_with_a_shared_phone(tenant, front_desk, client_for):
    owner = PatientFactory(phone="+37369555111")
    client = client_for(front_desk)
    data = {"first_name": "Soț", "last_name": "Testescu", "phone": "+37369555111", "source": "phone"}
    response = client.post("/patients/new/", data)
    assert response.status_code == 200
    assert b"already belongs to a patient" in response.content and owner.full_name.encode() in response.content
    response = client.post("/patients/new/", data | {"phone_decision": "sharing", "relation": "spouse"})
    assert response.status_code == 302
    spouse = Patient.objects.get(first_name="Soț")
    assert spouse.phone_relation == "spouse"
    assert owner.full_name.encode() in client.get(f"/patients/{spouse.pk}/").content


def test_bad_patient_input_is_refused(tenant, front_desk, client_for):
    response = client_for(front_desk).post("/patients/new/", {"first_name": "", "last_name": "X", "phone": "12", "source": "phone"})
    assert response.status_code == 200
    assert b"This field is required" in response.content and b"not a valid phone number" in response.content
    assert not Patient.objects.filter(last_name="X").exists()


def test_flags_show_wherever_the_name_is_shown(tenant, front_desk, client_for):
    from django.utils import timezone

    barter = Flag.objects.get(code="barter")
    appointment = AppointmentFactory(starts_at=timezone.now() + timezone.timedelta(days=1))
    client = client_for(front_desk)
    client.post(f"/patients/{appointment.patient.pk}/flags/", {"flag": barter.pk})
    assert appointment.patient.flags.filter(code="barter").exists()
    assert LogEntry.objects.filter(object_repr__contains=appointment.patient.full_name).exists()
    day = timezone.localtime(appointment.starts_at).date().isoformat()
    pages = [
        f"/patients/?q={appointment.patient.last_name}",
        f"/patients/{appointment.patient.pk}/",
        f"/reception/?location={appointment.location.pk}&date={day}",
        f"/appointments/{appointment.pk}/",
    ]
    for page in pages:
        assert b"patient-flag" in client.get(page).content and b"Barter" in client.get(page).content, page
    client.post(f"/patients/{appointment.patient.pk}/flags/", {"flag": barter.pk, "remove": "1"})
    assert not appointment.patient.flags.exists()


def test_editing_a_patient_records_consent_and_is_audited(tenant, front_desk, client_for):
    patient = PatientFactory(consent_to_contact=False)
    response = client_for(front_desk).post(
        f"/patients/{patient.pk}/edit/",
        {"first_name": patient.first_name, "last_name": "Renamed", "phone": patient.phone, "source": "web",
         "consent_to_contact": "on"},
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.last_name == "Renamed" and patient.consent_to_contact and patient.consent_changed_at
    assert "renamed" in patient.search_text
    entry = LogEntry.objects.get_for_object(patient).latest("timestamp")
    assert entry.actor == front_desk and entry.changes_dict["last_name"][1] == "Renamed"


def test_another_clinics_patient_is_a_404(in_clinic, clinic_a, clinic_b, client_for):
    from tests.factories import make_staff

    with in_clinic(clinic_b):
        foreign = PatientFactory(id=987654)
        assert client_for(make_staff("front_desk"), clinic_b).get(f"/patients/{foreign.pk}/").status_code == 200
    with in_clinic(clinic_a):
        desk = make_staff("front_desk")
        client = client_for(desk, clinic_a)
        assert client.get(f"/patients/{foreign.pk}/").status_code == 404
        assert client.get(f"/patients/{foreign.pk}/edit/").status_code == 404


def test_patient_list_pages_with_a_constant_number_of_queries(tenant, front_desk, client_for, django_assert_max_num_queries):
    PatientFactory.create_batch(60)
    client = client_for(front_desk)
    with django_assert_max_num_queries(16):
        response = client.get("/patients/?q=testescu")
    assert b"Page 1" in response.content and b"page=2" in response.content
    second = client.get("/patients/?q=testescu&page=2").content
    assert b"page=1" in second and b"page=3" not in second


def test_changing_the_owners_phone_hands_the_old_number_to_a_sharer(tenant, front_desk):
    from clinic.patients.services import update_patient

    owner = PatientFactory(phone="+37369777000")
    first = register_patient(PatientData("Unu", "Copil", phone="+37369777000"), actor=front_desk, phone_decision=NEW_SHARING, relation="child")
    second = register_patient(PatientData("Doi", "Copil", phone="+37369777000"), actor=front_desk, phone_decision=NEW_SHARING, relation="child")
    update_patient(owner, PatientData(owner.first_name, owner.last_name, phone="+37369888000"), actor=front_desk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.phone_owner is None and first.phone_relation == "self"
    assert second.phone_owner == first
