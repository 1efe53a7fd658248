"""One phone in every way people type it: stored as E.164 with the clinic's country (alpha is
in Europe/Bucharest: RO) as the region of local numbers, shown local or international, found
whatever the format, the shared-phone question asked for a local number; stored phones
converted by a data migration that reports what it cannot read."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from clinic.patients.models import Patient
from clinic.patients.services import PatientData, PhoneInUse, register_patient, search_patients
from clinic.phones import clinic_region, display, region_of_zone
from tests.factories import PatientFactory, make_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def front_desk(tenant):
    return make_staff("front_desk")


def test_the_clinics_country_is_its_time_zones(tenant):
    assert clinic_region() == "RO"
    assert region_of_zone("Europe/Chisinau") == "MD" and region_of_zone("Asia/Tehran") == "IR"
    assert region_of_zone("UTC") is None


def test_a_local_number_is_stored_in_e164_and_shown_local_or_international(front_desk):
    patient = register_patient(PatientData("Ana", "Pop", phone="0721 234-567"), actor=front_desk)
    assert patient.phone == "+40721234567"
    assert display(patient.phone) == "0721 234 567"
    assert display("+37367239215") == "+373 672 39 215"


@pytest.mark.parametrize("typed", ["0721234567", "0721 234 567", "721234567", "+40 721-234-567", "40721234567",
                                   "(0721) 234 567", "0721", "234 567"])
def test_search_finds_a_patient_whatever_format_is_typed(tenant, typed):
    wanted = PatientFactory(phone="+40721234567")
    PatientFactory(phone="+40731000111")
    assert list(search_patients(typed)) == [wanted]


def test_a_local_number_belonging_to_someone_asks_the_shared_phone_question(front_desk):
    owner = PatientFactory(phone="+40721234567")
    with pytest.raises(PhoneInUse) as raised:
        register_patient(PatientData("Mic", "Copil", phone="0721234567"), actor=front_desk)
    assert raised.value.owners == [owner]


def test_the_new_patient_screen_asks_for_a_local_number_and_refuses_an_invalid_one(front_desk, client_for):
    PatientFactory(phone="+40721234567")
    client = client_for(front_desk)
    response = client.post("/patients/new/", {"first_name": "Soț", "last_name": "Pop", "phone": "0721 234 567",
                                              "source": "phone"})
    assert 'id="phone-decision"' in response.content.decode()
    response = client.post("/patients/new/", {"first_name": "Soț", "last_name": "Pop", "phone": "0721 23",
                                              "source": "phone"})
    assert "not a valid phone number" in response.content.decode()
    assert Patient.objects.filter(last_name="Pop").count() == 0


def test_the_list_shows_the_local_format_left_to_right(front_desk, client_for):
    PatientFactory(last_name="Localescu", phone="+40721234567")
    html = client_for(front_desk).get("/patients/?q=Localescu").content.decode()
    assert '<bdi dir="ltr" class="phone text-nowrap">0721 234 567</bdi>' in html


def test_the_data_migration_converts_stored_phones_and_reports_those_it_cannot_read(tenant, capsys):
    local = PatientFactory()
    spaced = PatientFactory()
    unreadable = PatientFactory()
    # As older code stored them: as typed.
    Patient.objects.filter(pk=local.pk).update(phone="0721234567", search_text="")
    Patient.objects.filter(pk=spaced.pk).update(phone="+373 67 239 215")
    Patient.objects.filter(pk=unreadable.pk).update(phone="12345")
    migration = importlib.import_module("clinic.patients.migrations.0004_phones_e164")

    class Editor:
        pass

    editor = Editor()
    editor.connection = connection
    migration.phones_to_e164(apps, editor)
    assert Patient.objects.get(pk=local.pk).phone == "+40721234567"
    assert Patient.objects.get(pk=spaced.pk).phone == "+37367239215"
    assert Patient.objects.get(pk=unreadable.pk).phone == "12345"  # left as stored, not guessed
    assert list(search_patients("0721 234 567")) == [local]
    report = capsys.readouterr().out
    assert "1 phone(s) could not be read" in report and f"patient #{unreadable.number}: '12345'" in report
