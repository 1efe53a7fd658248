"""The clinic's partner screens: the partners list, adding (registration or invitation),
editing the terms, removing, the traffic channels matrix; each booking's source in the day
view, the appointment panel and the reception list."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django_tenants.utils import schema_context

from clinic.patients.services import PatientData
from partners.models import PartnerBooking, Partnership
from partners.organisations.models import ClinicLink, PartnerOrganisation
from partners.services import book_for_partner
from tests.factories import ServiceCategoryFactory, ServiceFactory, make_staff
from tests.partners.conftest import next_day_at

pytestmark = pytest.mark.django_db


def company(**extra) -> dict:
    return {"name": "CallMed SRL", "registration_number": "RO777", "kind": "call_centre", "address": "Str. Mare 1",
            "contact_name": "Irina Rusu", "contact_email": "irina@callmed.example"} | extra


def terms(world, **extra) -> dict:
    return {"locations": [world["here"].pk], "commission": "on", "commission_percent": "10",
            "payment_place": "clinic"} | extra


def book(world, member, hour=10, **extra):
    data = {"location": world["here"], "practitioner": world["practitioner"], "starts_at": next_day_at(hour),
            "service_ids": [world["consultation"].pk],
            "new_patient": PatientData(first_name="Ana", last_name="Ceban", phone="+37369123456")} | extra
    return book_for_partner(member, **data)


def public_counts():
    with schema_context("public"):
        return PartnerOrganisation.objects.count(), ClinicLink.objects.count()


# --- the partners list ----------------------------------------------------------------


def test_the_list_shows_each_partner_with_its_terms_link_and_bookings(
    world, add_partner, client_for, django_assert_max_num_queries
):
    first, member = add_partner("MedAsist SRL", "RO123", locations=("here", "there"), percent="12.5")
    second, _member = add_partner("Dr Popa Ion PFA", "RO456", commission=False, payment_place="partner", access=True,
                                  accept=False)
    gone, _member = add_partner("Old Partner SRL", "RO999")
    book(world, member)
    book(world, member, hour=11).appointment  # noqa: B018 - two bookings
    from partners.services import remove_partner

    remove_partner(gone, actor=world["manager"])
    client = client_for(world["manager"])
    with django_assert_max_num_queries(16):  # whatever the number of partners: 3 queries and a link query
        response = client.get(reverse("partner_list"))
    assert response.status_code == 200
    page = response.content.decode()
    active_table, removed_table = page.split('id="removed-partner-table"')
    row = active_table.split(f'data-partner="{first.pk}"')[1].split("</tr>")[0]
    for text in ("MedAsist SRL", "Other medical provider", "RO123", "Contact of MedAsist SRL", "contact@ro123.example",
                 ">Active<", "Central, Riverside", "12.50 %", "At the clinic", ">2<"):
        assert text in row, text
    other = active_table.split(f'data-partner="{second.pk}"')[1].split("</tr>")[0]
    for text in (">Invited<", ">No<", "At the partner", ">Yes<", ">0<"):
        assert text in other, text
    assert "Old Partner SRL" in removed_table and "Old Partner SRL" not in active_table
    assert "Add a partner" in page and reverse("partner_remove", args=[first.pk]) in page


def test_marketing_and_finance_see_partners_but_change_nothing(world, add_partner, client_for):
    partnership, _member = add_partner()
    for role in ("marketing", "finance"):
        client = client_for(make_staff(role))
        page = client.get(reverse("partner_list")).content.decode()
        assert "MedAsist SRL" in page
        assert "Add a partner" not in page and f'href="{reverse("partner_edit", args=[partnership.pk])}"' not in page
        assert reverse("partner_account", args=[partnership.pk]) in page  # they read the partner's account
        assert client.get(reverse("partner_create")).status_code == 403
        assert client.get(reverse("partner_edit", args=[partnership.pk])).status_code == 403
        assert client.post(reverse("partner_remove", args=[partnership.pk])).status_code == 403
    assert Partnership.objects.get().removed_at is None


@pytest.mark.parametrize("role", ["front_desk", "doctor", "sales_head"])
def test_roles_without_partners_are_refused(world, add_partner, client_for, role):
    partnership, _member = add_partner()
    client = client_for(make_staff(role))
    for name, args in (("partner_list", []), ("partner_create", []), ("partner_edit", [partnership.pk]),
                       ("partner_remove", [partnership.pk]), ("traffic_channels", [])):
        assert client.get(reverse(name, args=args)).status_code == 403, name
    assert client.post(reverse("partner_create"), company() | terms(world)).status_code == 403
    assert client.post(reverse("traffic_channels"), {"partner": [partnership.pk]}).status_code == 403
    assert public_counts() == (1, 1) and partnership.services.count() == 2


def test_the_navigation_shows_partners_to_those_who_see_them(world, client_for):
    assert 'href="/partners/"' in client_for(world["manager"]).get("/").content.decode()
    assert 'href="/partners/"' not in client_for(make_staff("front_desk")).get("/").content.decode()


# --- adding a partner -------------------------------------------------------------------


def test_a_company_new_to_the_system_gets_a_registration_email(
    world, client_for, django_capture_on_commit_callbacks
):
    client = client_for(world["manager"])
    assert client.get(reverse("partner_create")).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partner_create"), company() | terms(world, patient_data_access="on"),
                               follow=True)
    assert response.redirect_chain[-1][0] == reverse("partner_list")
    assert "got an email to register and accept the terms" in response.content.decode()
    partnership = Partnership.objects.get()
    assert partnership.commission and partnership.commission_percent == Decimal("10.00")
    assert partnership.patient_data_access and partnership.payment_place == "clinic"
    assert list(partnership.locations.all()) == [world["here"]]
    with schema_context("public"):
        organisation = PartnerOrganisation.objects.get()
        assert (organisation.name, organisation.kind, organisation.address) == ("CallMed SRL", "call_centre",
                                                                                "Str. Mare 1")
        assert ClinicLink.objects.get().status == "invited"
    assert mail.outbox[-1].to == ["irina@callmed.example"] and "/portal/register/" in mail.outbox[-1].body
    from auditlog.models import LogEntry

    with schema_context("public"):  # the clinic's user is named by email: their id is not a public user's
        entry = LogEntry.objects.get_for_object(organisation).get()
        assert entry.actor_id is None and entry.actor_email == world["manager"].email
    assert LogEntry.objects.get_for_object(partnership).filter(action=LogEntry.Action.CREATE).get().actor == world[
        "manager"]


def test_a_company_known_to_the_system_gets_an_invitation(
    world, add_partner, client_for, clinic_b, in_clinic, django_capture_on_commit_callbacks
):
    from partners.services import PartnerData, PartnerTerms
    from partners.services import add_partner as add
    from tests.factories import LocationFactory

    with in_clinic(clinic_b):
        add(PartnerData(name="CallMed SRL", registration_number="RO777", kind="call_centre", contact_name="Irina",
                        contact_email="irina@callmed.example"),
            PartnerTerms(location_ids=[LocationFactory().pk]), actor=None)
    client = client_for(world["manager"])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partner_create"), company(registration_number="ro777"), follow=True)
    # the terms were missing: nothing written yet
    assert response.status_code == 422 and public_counts() == (1, 1)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("partner_create"), company(registration_number="ro777") | terms(world),
                               follow=True)
    assert "it got an invitation to approve in the portal" in response.content.decode()
    assert public_counts() == (1, 2)  # the same company, linked to a second clinic
    assert "added your company as a partner" in mail.outbox[-1].body


@pytest.mark.parametrize("bad, field, message", [
    ({"commission_percent": "150"}, "commission_percent", "Enter a percent from 0 to 100."),
    ({"commission_percent": ""}, "commission_percent", "Enter the commission percent, or turn the commission off."),
    ({"locations": []}, "locations", "Choose at least one open location the partner may book at."),
    ({"contact_email": "not-an-email"}, "contact_email", "Enter a valid email address."),
])
def test_bad_input_changes_nothing_and_says_why(world, client_for, bad, field, message):
    response = client_for(world["manager"]).post(reverse("partner_create"), company() | terms(world) | bad)
    assert response.status_code == 422
    assert message in response.content.decode()
    assert message in response.context["form"].errors[field]
    assert public_counts() == (0, 0) and not Partnership.objects.exists() and mail.outbox == []


def test_a_company_already_a_partner_is_refused(world, add_partner, client_for):
    add_partner("MedAsist SRL", "RO123")
    response = client_for(world["manager"]).post(
        reverse("partner_create"), company(registration_number="ro123") | terms(world))
    assert response.status_code == 422
    assert "MedAsist SRL is already a partner of this clinic." in response.context["form"].errors["registration_number"]
    assert public_counts() == (1, 1) and Partnership.objects.count() == 1


# --- editing and removing -----------------------------------------------------------------


def test_the_manager_changes_the_terms_and_the_company_stays_read_only(world, add_partner, client_for):
    partnership, _member = add_partner()
    client = client_for(world["manager"])
    url = reverse("partner_edit", args=[partnership.pk])
    page = client.get(url).content.decode()
    assert "RO123" in page and "contact@ro123.example" in page and 'name="registration_number"' not in page
    assert 'id="link-status">Active<' in page
    response = client.post(url, {"locations": [world["here"].pk, world["there"].pk], "commission_percent": "5",
                                 "payment_place": "partner", "patient_data_access": "on"}, follow=True)
    assert "The terms of MedAsist SRL are saved." in response.content.decode()
    partnership.refresh_from_db()
    assert not partnership.commission and partnership.payment_place == "partner" and partnership.patient_data_access
    assert set(partnership.locations.all()) == {world["here"], world["there"]}


def test_bad_terms_on_editing_change_nothing(world, add_partner, client_for):
    partnership, _member = add_partner()
    response = client_for(world["manager"]).post(
        reverse("partner_edit", args=[partnership.pk]),
        {"locations": [world["there"].pk], "commission": "on", "commission_percent": "150", "payment_place": "partner"})
    assert response.status_code == 422 and "Enter a percent from 0 to 100." in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.commission_percent == Decimal("10.00") and partnership.payment_place == "clinic"
    assert list(partnership.locations.all()) == [world["here"]]


def test_removing_asks_first_then_keeps_the_bookings(world, add_partner, client_for):
    partnership, member = add_partner()
    booking = book(world, member)
    client = client_for(world["manager"])
    url = reverse("partner_remove", args=[partnership.pk])
    page = client.get(url).content.decode()
    assert "Remove MedAsist SRL?" in page and "Its 1 booking stays" in page
    assert Partnership.objects.get().removed_at is None  # asking is not removing
    response = client.post(url, follow=True)
    assert "MedAsist SRL is removed: it can no longer book here." in response.content.decode()
    partnership.refresh_from_db()
    assert partnership.removed_at is not None and partnership.removed_by == world["manager"]
    assert PartnerBooking.objects.get() == booking and booking.appointment.status == "booked"
    with schema_context("public"):
        assert ClinicLink.objects.get().status == "removed"
    page = client.get(reverse("partner_list")).content.decode()
    assert "MedAsist SRL" in page.split('id="removed-partner-table"')[1]
    edit = client.get(reverse("partner_edit", args=[partnership.pk])).content.decode()
    assert "This partner was removed on" in edit and 'name="commission_percent"' not in edit
    again = client.post(url, follow=True)
    assert "This partner was removed already." in again.content.decode()


def test_another_clinics_partner_is_not_found(world, add_partner, client_for, clinic_b, in_clinic):
    from partners.services import PartnerData, PartnerTerms
    from partners.services import add_partner as add
    from tests.factories import LocationFactory

    mine, _member = add_partner()
    with in_clinic(clinic_b):
        location = LocationFactory()
        theirs = [add(PartnerData(name=f"Beta Partner {n}", registration_number=f"CN{n}", kind="call_centre",
                                  contact_name="Li", contact_email=f"li{n}@beta.example"),
                      PartnerTerms(location_ids=[location.pk]), actor=None).pk for n in range(2)]
    foreign = next(pk for pk in theirs if pk != mine.pk)
    client = client_for(world["manager"])
    assert client.get(reverse("partner_edit", args=[foreign])).status_code == 404
    assert client.get(reverse("partner_remove", args=[foreign])).status_code == 404
    assert client.post(reverse("partner_remove", args=[foreign])).status_code == 404
    with in_clinic(clinic_b):
        assert not Partnership.objects.filter(removed_at__isnull=False).exists()


# --- traffic channels -----------------------------------------------------------------------


@pytest.fixture
def matrix(world, add_partner):
    """Two partners; "Imaging" has two services; an inactive service ticked for the first."""
    imaging = ServiceCategoryFactory(name="Imaging")
    world["xray"] = ServiceFactory(name="X-ray", category=imaging)
    world["ct"] = ServiceFactory(name="CT", category=imaging)
    retired = ServiceFactory(name="Retired test", is_active=False)
    first, _m = add_partner("MedAsist SRL", "RO123", services=("consultation",))
    second, _m = add_partner("CallMed SRL", "RO777", services=("ecg",))
    first.services.add(retired)
    return {"first": first, "second": second, "imaging": imaging, "retired": retired}


def cells(response) -> set[str]:
    import re

    return set(re.findall(r'name="channel" value="(\d+:\d+)" checked', response.content.decode()))


def test_the_matrix_saves_every_partners_ticks_at_once(world, matrix, client_for):
    first, second = matrix["first"], matrix["second"]
    client = client_for(world["manager"])
    response = client.get(reverse("traffic_channels"))
    assert response.status_code == 200
    assert cells(response) == {f"{first.pk}:{world['consultation'].pk}", f"{second.pk}:{world['ecg'].pk}"}
    assert "Retired test" not in response.content.decode() and "Imaging" in response.content.decode()
    response = client.post(reverse("traffic_channels"), {
        "partner": [first.pk, second.pk],
        "channel": [f"{first.pk}:{world['xray'].pk}", f"{first.pk}:{world['ct'].pk}",
                    f"{second.pk}:{world['consultation'].pk}"],
    }, follow=True)
    assert "The traffic channels are saved." in response.content.decode()
    assert set(first.services.all()) == {world["xray"], world["ct"], matrix["retired"]}  # the retired tick stays
    assert set(second.services.all()) == {world["consultation"]}


def test_a_category_is_ticked_and_unticked_for_one_partner_before_saving(world, matrix, client_for):
    first, second = matrix["first"], matrix["second"]
    client = client_for(world["manager"])
    posted = {"partner": [first.pk, second.pk], "channel": [f"{second.pk}:{world['ecg'].pk}"],
              "category": f"{first.pk}:{matrix['imaging'].pk}"}
    response = client.post(reverse("traffic_channels"), posted, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert [t.name for t in response.templates][0] == "partners/_channels_form.html"  # the fragment for htmx
    # the whole category for the first partner; the first's consultation was unticked in the form
    assert cells(response) == {f"{first.pk}:{world['xray'].pk}", f"{first.pk}:{world['ct'].pk}",
                               f"{second.pk}:{world['ecg'].pk}"}
    assert "Not saved yet" in response.content.decode()
    assert set(first.services.all()) == {world["consultation"], matrix["retired"]}  # nothing saved yet
    posted["channel"] = sorted(cells(response))
    response = client.post(reverse("traffic_channels"), posted)  # the same button again: untick the category
    assert cells(response) == {f"{second.pk}:{world['ecg'].pk}"}
    response = client.post(reverse("traffic_channels"), {
        "partner": [first.pk, second.pk], "channel": posted["channel"]}, follow=True)
    assert set(first.services.all()) == {world["xray"], world["ct"], matrix["retired"]}


def test_the_matrix_refuses_a_removed_partner_or_a_strange_cell(world, matrix, client_for):
    from partners.services import remove_partner

    first, second = matrix["first"], matrix["second"]
    client = client_for(world["manager"])
    response = client.post(reverse("traffic_channels"), {
        "partner": [first.pk], "channel": [f"{first.pk}:{matrix['retired'].pk}"]})
    assert response.status_code == 422 and "A chosen service does not exist." in response.content.decode()
    remove_partner(second, actor=world["manager"])
    response = client.post(reverse("traffic_channels"), {
        "partner": [first.pk, second.pk], "channel": [f"{first.pk}:{world['ecg'].pk}"]})
    assert response.status_code == 422 and "was removed meanwhile" in response.content.decode()
    assert set(first.services.all()) == {world["consultation"], matrix["retired"]}
    assert set(second.services.all()) == {world["ecg"]}


def test_marketing_sees_the_matrix_but_cannot_save(world, matrix, client_for):
    client = client_for(make_staff("marketing"))
    page = client.get(reverse("traffic_channels")).content.decode()
    assert "MedAsist SRL" in page and " disabled" in page and 'name="category"' not in page
    assert client.post(reverse("traffic_channels"), {"partner": [matrix["first"].pk]}).status_code == 403
    assert set(matrix["first"].services.all()) == {world["consultation"], matrix["retired"]}


# --- each booking's source in the clinic ------------------------------------------------------


def test_the_day_view_and_the_panel_show_the_source_and_paid_at_partner(
    world, add_partner, client_for, django_assert_max_num_queries
):
    _at_partner, member = add_partner("MedAsist SRL", "RO123", payment_place="partner")
    _at_clinic, other = add_partner("CallMed SRL", "RO777", payment_place="clinic")
    paid = book(world, member, hour=10)
    usual = book(world, other, hour=12, new_patient=PatientData(first_name="Ion", last_name="Lupu",
                                                                 phone="+37369000111"))
    client = client_for(world["manager"])
    day = next_day_at(10).date().isoformat()
    # As without partners and one more (and its schema SET): partners' annotations of the day's
    # appointments (scheduling/extensions.py) are one query for all of them.
    with django_assert_max_num_queries(28):
        page = client.get(f"{reverse('calendar_day')}?location={world['here'].pk}&date={day}").content.decode()
    paid_block = page.split(f'data-appointment="{paid.appointment_id}"')[1].split("</a>")[0]
    assert f"MedAsist SRL · {member.user.full_name}" in paid_block and paid.code in paid_block
    assert "Paid at partner" in paid_block
    usual_block = page.split(f'data-appointment="{usual.appointment_id}"')[1].split("</a>")[0]
    assert "CallMed SRL" in usual_block and usual.code in usual_block and "Paid at partner" not in usual_block

    panel = client.get(reverse("appointment_detail", args=[paid.appointment_id]), HTTP_HX_REQUEST="true")
    text = panel.content.decode()
    assert f"Partner · MedAsist SRL · {member.user.full_name}" in text
    assert f'id="partner-reference">{paid.code} · At the partner' in text and 'id="paid-at-partner"' in text
    text = client.get(reverse("appointment_detail", args=[usual.appointment_id])).content.decode()
    assert f"{usual.code} · At the clinic" in text and 'id="paid-at-partner"' not in text


def test_the_reception_list_filters_partner_bookings(world, add_partner, client_for):
    from tests.factories import AppointmentFactory

    _partnership, member = add_partner(payment_place="partner")
    booking = book(world, member, hour=10)
    phoned = AppointmentFactory(location=world["here"], practitioner=world["practitioner"],
                                starts_at=next_day_at(14), ends_at=next_day_at(14).replace(minute=30))
    client = client_for(world["manager"])
    day = next_day_at(10).date().isoformat()
    url = f"{reverse('reception')}?location={world['here'].pk}&date={day}"
    everything = client.get(url).content.decode()
    assert phoned.patient.last_name in everything and "Ceban" in everything
    only = client.get(url + "&source=partner").content.decode()
    assert "Ceban" in only and phoned.patient.last_name not in only.split('id="reception-table"')[1]
    assert booking.code in only and "Paid at partner" in only and 'value="partner" selected' in only
    assert "Partner bookings" in only
