"""The partner security matrix (issue 6): what a partner's user can never reach, and what a
clinic's user can never reach of the portal — proven by requests, not promised."""

from collections import defaultdict
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls import reverse as clinic_reverse
from django_tenants.utils import schema_context

from partners.models import PartnerBooking, PatientSearch
from partners.organisations.models import PartnerUser
from partners.services import book_for_partner
from tests.partners.conftest import next_day_at

pytestmark = pytest.mark.django_db

PUBLIC = "localhost"


def reverse(name, args=None):
    return clinic_reverse(name, urlconf="config.urls_public", args=args)


def public_urls(resolver=None, prefix=""):
    resolver = resolver or get_resolver("config.urls_public")
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from public_urls(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


@pytest.fixture
def two_partners(world, add_partner):
    """Partner A and partner B at clinic alpha, each with one booking; A has a finance user."""
    from clinic.patients.services import PatientData

    a, member_a = add_partner("MedAsist SRL", "RO-A", access=False)
    b, member_b = add_partner("Rusu Clinic", "RO-B", access=True)

    def book(member, hour):
        return book_for_partner(member, location=world["here"], practitioner=world["practitioner"],
                                starts_at=next_day_at(hour), service_ids=[world["consultation"].pk],
                                new_patient=PatientData(first_name="Ana", last_name=f"Patient {hour}",
                                                        phone=f"+3736900{hour:04d}"))

    return {"a": member_a, "b": member_b, "booking_a": book(member_a, 10), "booking_b": book(member_b, 11),
            "partnership_a": a, "partnership_b": b}


def logged_in(member) -> Client:
    client = Client(HTTP_HOST=PUBLIC)
    with schema_context("public"):
        client.force_login(member.user)
    return client


def test_partner_a_cannot_read_or_change_partner_bs_bookings(two_partners, tenant):
    client = logged_in(two_partners["a"])
    theirs = two_partners["booking_b"]
    mine = two_partners["booking_a"]
    assert client.get(reverse("portal_booking", args=["alpha", mine.pk])).status_code == 200
    for name, method in (("portal_booking", "get"), ("portal_booking_cancel", "post"),
                         ("portal_booking_move", "post")):
        for clinic in ("alpha", "beta", "nowhere"):
            response = getattr(client, method)(reverse(name, args=[clinic, theirs.pk]))
            assert response.status_code == 404, (name, clinic)
    listing = client.get(reverse("portal_bookings")).content.decode()
    connection.set_tenant(tenant)  # the portal's requests leave the connection on the public schema
    theirs.refresh_from_db()
    assert theirs.cancelled_at is None and theirs.appointment.status == "booked"
    assert mine.code in listing and theirs.code not in listing
    assert theirs.appointment.patient.last_name not in listing


def test_a_partner_cannot_see_a_clinic_it_is_not_linked_to(two_partners, tenant, clinic_b):
    client = logged_in(two_partners["a"])
    assert client.get(reverse("portal_book") + "?clinic=beta").status_code == 404
    assert client.get(reverse("portal_book") + "?clinic=alpha").status_code == 200
    home = client.get(reverse("portal_home")).content.decode()
    assert clinic_b.name not in home


def test_a_partner_cannot_book_an_unauthorised_service_or_location(world, two_partners, tenant):
    client = logged_in(two_partners["a"])
    before = PartnerBooking.objects.count()

    def post(location, practitioner, service):
        return client.post(reverse("portal_booking_new"), {
            "clinic": "alpha", "location": location.pk, "practitioner": practitioner.pk,
            "starts_at": next_day_at(15).strftime("%Y-%m-%dT%H:%M"), "services": [service.pk],
            "first_name": "Ion", "last_name": "Crafted", "phone": "+37369111222"})

    for location, practitioner, service in ((world["here"], world["practitioner"], world["mri"]),
                                            (world["there"], world["other"], world["consultation"])):
        response = post(location, practitioner, service)
        assert response.status_code == 422, response.status_code
    connection.set_tenant(tenant)
    assert PartnerBooking.objects.count() == before
    # The same request with an authorised service at an authorised location books.
    assert post(world["here"], world["practitioner"], world["consultation"]).status_code == 302
    connection.set_tenant(tenant)
    assert PartnerBooking.objects.count() == before + 1


def test_a_user_without_the_booking_permission_only_sees(world, two_partners, tenant):
    member = two_partners["a"]
    with schema_context("public"):
        PartnerUser.objects.filter(pk=member.pk).update(can_book=False)
    client = logged_in(member)
    calendars = client.get(reverse("portal_book") + f"?clinic=alpha&location={world['here'].pk}")
    assert calendars.status_code == 200 and reverse("portal_booking_new") not in calendars.content.decode()
    response = client.post(reverse("portal_booking_new"), {
        "clinic": "alpha", "location": world["here"].pk, "practitioner": world["practitioner"].pk,
        "starts_at": next_day_at(15).strftime("%Y-%m-%dT%H:%M"), "services": [world["consultation"].pk],
        "first_name": "Ion", "last_name": "Crafted", "phone": "+37369111222"})
    assert response.status_code == 403
    mine = two_partners["booking_a"]
    assert client.post(reverse("portal_booking_cancel", args=["alpha", mine.pk])).status_code == 403
    assert client.get(reverse("portal_bookings")).status_code == 200  # seeing is allowed


def test_a_partner_user_reaches_no_front_desk_or_manager_url(two_partners, tenant, clinic_a):
    """The partner's session is the public host's: on the clinic's host every page asks for a
    clinic login, and the public host has no clinic pages at all."""
    from tests.clinic.test_permissions import CHECKED, MATRIX, _path

    portal = logged_in(two_partners["a"])
    cookie = portal.cookies["sessionid"].value
    clinic_host = Client(HTTP_HOST=clinic_a.primary_domain)
    clinic_host.cookies["sessionid"] = cookie
    anything = SimpleNamespace(pk=two_partners["booking_a"].appointment.pk, agreement_id=1)
    objects = defaultdict(lambda: anything)  # ids do not matter: no page gets that far
    names = sorted({name for name, _role in CHECKED})
    checked = 0
    for name in names:
        path = _path(name, objects)
        response = getattr(clinic_host, MATRIX[name][0])(path)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], name
        if path != "/":  # the public host's own start page is its landing page
            assert portal.get(path).status_code in (302, 404), name  # no such page on the public host
        checked += 1
    assert checked > 20


def test_a_clinic_user_cannot_reach_the_portal_administration(two_partners, tenant, clinic_a, manager, client_for):
    staff = client_for(manager)
    for name, args in (("portal_home", []), ("portal_users", []), ("portal_book", []),
                       ("portal_bookings", []), ("portal_account", [])):
        path = reverse(name, args=args)
        assert staff.get(path).status_code == 404, name  # the clinic's host has no portal
    public = Client(HTTP_HOST=PUBLIC)
    public.cookies["sessionid"] = staff.cookies["sessionid"].value  # a clinic session on the public host
    for name in ("portal_home", "portal_users", "portal_bookings", "portal_account"):
        response = public.get(reverse(name))
        assert response.status_code == 302 and "/portal/login/" in response["Location"], name


def test_patient_search_with_access_off_returns_nothing(world, two_partners, tenant):
    client = logged_in(two_partners["a"])  # partner A has no access to patient data
    response = client.get(reverse("portal_patient_search"), {"clinic": "alpha", "q": "Grosu"})
    assert world["patient"].last_name not in response.content.decode()
    connection.set_tenant(tenant)
    assert not PatientSearch.objects.exists()
    client = logged_in(two_partners["b"])  # partner B has it: name and birth year, logged
    response = client.get(reverse("portal_patient_search"), {"clinic": "alpha", "q": "Grosu"})
    assert world["patient"].full_name in response.content.decode()
    connection.set_tenant(tenant)
    assert PatientSearch.objects.get().query == "Grosu"


def test_there_is_no_export_endpoint_for_partners(two_partners, tenant):
    """No public URL reaches the clinic's exports or lists patients for download; the only
    downloads are the partner's own account statement (money, no patient names)."""
    for pattern, entry in public_urls():
        module = getattr(entry.callback, "__module__", "")
        assert not module.startswith("clinic.exports"), pattern
        assert "export" not in pattern, pattern
        assert "patients" not in pattern or entry.name == "portal_patient_search", pattern
    client = logged_in(two_partners["b"])
    for path in ("/exports/price_list/start/", "/patients/", "/exports/1/download/"):
        assert client.get(path).status_code == 404, path
