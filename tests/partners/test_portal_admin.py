"""The portal's administration: registering from the email's link (password and terms), the
terms when a new version comes, answering clinics' invitations, and the company's users."""

import threading
from urllib.parse import urlparse

import pytest
from django.core import mail
from django.db import connection, connections
from django.test import Client
from django.urls import reverse as django_reverse
from django.utils import timezone
from django_tenants.utils import schema_context

from clinic.accounts.models import User
from clinic.errors import DomainError
from partners.organisations.models import TERMS_VERSION, ClinicLink, PartnerUser, TermsAcceptance
from partners.services import PartnerData, PartnerTerms, partnership_for, registration_link

pytestmark = pytest.mark.django_db

HOST = "localhost"
NEW_PASSWORD = "a-fresh-portal-pass-26"


def reverse(name, args=()):
    return django_reverse(name, urlconf="config.urls_public", args=args)


def path_of(link: str) -> str:
    return urlparse(link).path


def link_in(message) -> str:
    return path_of(next(word for word in message.body.split() if "/portal/register/" in word))


@pytest.fixture
def new_partner(world, tenant, django_capture_on_commit_callbacks):
    """A company new to the system, added by clinic alpha's manager: its contact person got the
    registration email (no password yet). Returns the member."""
    from partners.services import add_partner

    def build(name="MedAsist SRL", registration="RO123"):
        with django_capture_on_commit_callbacks(execute=True):
            add_partner(PartnerData(name=name, registration_number=registration, kind="medical_provider",
                                    contact_name="Irina Lungu", contact_email=f"irina@{registration.lower()}.example"),
                        PartnerTerms(location_ids=[world["here"].pk]), actor=world["manager"])
        with schema_context("public"):
            return PartnerUser.objects.select_related("user", "organisation").get(
                organisation__registration_number=registration)

    return build


@pytest.fixture
def company(add_partner, portal):
    """Partner A (terms accepted, link active), its administrator and a second user who only
    books; partner B with its administrator."""
    _partnership, admin = add_partner()
    _partnership_b, admin_b = add_partner("Call Centre Beta", "RO999")
    with schema_context("public"):
        booker = PartnerUser.objects.create(
            user=User.objects.create_user("booker@ro123.example", "Bogdan Booker", "booker-pw-2026"),
            organisation=admin.organisation, can_book=True)
    connection.set_schema_to_public()
    return {"admin": admin, "booker": booker, "admin_b": admin_b, "organisation": admin.organisation}


def public(build):
    with schema_context("public"):
        return build()


# --- registration -------------------------------------------------------------------------------


def test_registering_sets_the_password_records_the_terms_and_activates_the_invitation(new_partner, portal):
    member = new_partner()
    assert len(mail.outbox) == 1
    link = link_in(mail.outbox[0])
    client = portal()

    page = client.get(link)
    assert page.status_code == 200 and page.context["with_terms"]
    assert b"No export of patient data" in page.content and TERMS_VERSION.encode() in page.content

    refused = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert refused.status_code == 200 and "accept_terms" in refused.context["form"].errors
    refused = client.post(link, {"new_password1": "short", "new_password2": "short", "accept_terms": "on"})
    assert refused.status_code == 200 and "new_password2" in refused.context["form"].errors
    assert not public(lambda: User.objects.get(pk=member.user_id)).has_usable_password()
    assert not public(lambda: TermsAcceptance.objects.exists())

    before = timezone.now()
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "accept_terms": "on"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    user = public(lambda: User.objects.get(pk=member.user_id))
    assert user.check_password(NEW_PASSWORD) and not user.must_change_password
    acceptance = public(lambda: TermsAcceptance.objects.get())
    assert (acceptance.organisation_id, acceptance.version, acceptance.accepted_by_id) == (
        member.organisation_id, TERMS_VERSION, member.user_id)
    assert before <= acceptance.accepted_at <= timezone.now()
    link_row = public(lambda: ClinicLink.objects.get())
    assert link_row.status == ClinicLink.Status.ACTIVE and link_row.responded_by_id == member.user_id

    home = client.get("/portal/")  # logged in by registering
    assert home.status_code == 200 and home.wsgi_request.user.pk == member.user_id
    content = home.content.decode()
    assert "accepted the terms and conditions" in content
    assert "Alpha Clinic" in content and f"{reverse('portal_book')}?clinic=alpha" in content


@pytest.mark.parametrize("spoil", ["reuse", "token", "uid", "inactive"])
def test_a_used_or_invalid_link_changes_nothing(new_partner, portal, spoil):
    member = new_partner()
    link = link_in(mail.outbox[0])
    if spoil == "reuse":
        portal().post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD, "accept_terms": "on"})
    elif spoil == "token":
        link = link.replace(link.split("/")[-2], "bad-token")
    elif spoil == "uid":
        link = link.replace(link.split("/")[-3], "Zm9v")
    else:
        public(lambda: User.objects.filter(pk=member.user_id).update(is_active=False))
    before = public(lambda: (User.objects.get(pk=member.user_id).password, TermsAcceptance.objects.count(),
                             ClinicLink.objects.get().status))
    client = portal()
    page = client.get(link)
    assert page.status_code == 200 and not page.context["validlink"]
    assert b"expired or was already used" in page.content
    response = client.post(link, {"new_password1": "another-pass-2026", "new_password2": "another-pass-2026",
                                  "accept_terms": "on"})
    assert response.status_code == 200 and not response.context["validlink"]
    assert public(lambda: (User.objects.get(pk=member.user_id).password, TermsAcceptance.objects.count(),
                           ClinicLink.objects.get().status)) == before
    assert "_auth_user_id" not in client.session


def test_a_user_added_later_only_sets_a_password(company, portal, django_capture_on_commit_callbacks):
    admin = company["admin"]
    with django_capture_on_commit_callbacks(execute=True):
            portal(admin.user).post("/portal/users/new/", {"full_name": "Nina Nou", "email": "nina@ro123.example",
                                                       "can_book": "on"})
    link = link_in(mail.outbox[-1])
    client = portal()
    page = client.get(link)
    assert page.status_code == 200 and "accept_terms" not in page.context["form"].fields
    assert b"No export of patient data" not in page.content
    response = client.post(link, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    assert client.get("/portal/").status_code == 200
    nina = public(lambda: User.objects.get(email="nina@ro123.example"))
    assert nina.check_password(NEW_PASSWORD)
    assert public(lambda: set(TermsAcceptance.objects.values_list("organisation_id", "accepted_by_id"))) == {
        (admin.organisation_id, admin.user_id), (company["admin_b"].organisation_id, company["admin_b"].user_id)}


# --- the terms when a new version comes ------------------------------------------------------------


@pytest.fixture
def new_terms_version(company):
    """Partner A accepted an earlier version only, and clinic beta's invitation is pending."""
    def build():
        TermsAcceptance.objects.filter(organisation=company["organisation"]).update(version="2001-01")
    public(build)
    return company


def test_until_the_new_terms_are_accepted_every_page_leads_to_them(new_terms_version, portal):
    client = portal(new_terms_version["booker"].user)
    for path in ("/portal/", reverse("portal_users"), reverse("portal_user_create")):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"] == "/portal/terms/", path
    fragment = client.get("/portal/", HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and fragment["HX-Redirect"] == "/portal/terms/"
    assert client.get("/portal/password/").status_code == 200
    page = client.get("/portal/terms/")
    assert page.status_code == 200 and b"must accept them before you can go on" in page.content
    assert b'name="accept_terms"' not in page.content
    assert client.post("/portal/terms/", {"accept_terms": "on"}).status_code == 403
    assert not public(lambda: TermsAcceptance.objects.filter(version=TERMS_VERSION,
                                                             organisation=new_terms_version["organisation"]).exists())
    assert client.post("/portal/logout/").status_code == 302


def test_a_user_who_manages_users_accepts_the_new_terms(new_terms_version, portal):
    admin = new_terms_version["admin"]
    client = portal(admin.user)
    assert client.get("/portal/")["Location"] == "/portal/terms/"
    refused = client.post("/portal/terms/", {})
    assert refused.status_code == 200 and refused.context["form"].errors
    response = client.post("/portal/terms/", {"accept_terms": "on"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    acceptance = public(lambda: TermsAcceptance.objects.get(organisation=admin.organisation, version=TERMS_VERSION))
    assert acceptance.accepted_by_id == admin.user_id
    assert client.get("/portal/").status_code == 200
    page = client.get("/portal/terms/")
    assert b"Your company accepted version " + TERMS_VERSION.encode() in page.content
    assert portal(new_terms_version["booker"].user).get("/portal/").status_code == 200


# --- invitations ---------------------------------------------------------------------------------


@pytest.fixture
def invited(company, clinic_b, in_clinic, django_capture_on_commit_callbacks):
    """Clinic beta adds partner A, which exists already: an invitation to approve."""
    from partners.services import add_partner
    from tests.factories import LocationFactory

    with in_clinic(clinic_b):
        location = LocationFactory()
        with django_capture_on_commit_callbacks(execute=True):
            add_partner(PartnerData(name="MedAsist SRL", registration_number="RO123", kind="medical_provider",
                                    contact_name="Irina", contact_email="irina@ro123.example"),
                        PartnerTerms(location_ids=[location.pk]), actor=None)
    connection.set_schema_to_public()
    company["link"] = ClinicLink.objects.get(clinic=clinic_b, organisation=company["organisation"])
    return company


def test_the_home_page_shows_the_clinics_and_the_pending_invitation(invited, portal):
    content = portal(invited["admin"].user).get("/portal/").content.decode()
    assert "Beta Clinic" in content and reverse("portal_invitation", args=[invited["link"].pk]) in content
    assert f"{reverse('portal_book')}?clinic=alpha" in content
    assert f"{reverse('portal_book')}?clinic=beta" not in content  # not before it is approved
    booker_home = portal(invited["booker"].user).get("/portal/").content.decode()
    assert "Beta Clinic" in booker_home and reverse("portal_invitation", args=[invited["link"].pk]) not in booker_home


def test_approving_an_invitation_lets_the_company_book_there(invited, portal, clinic_b, in_clinic):
    admin, link = invited["admin"], invited["link"]
    with in_clinic(clinic_b), pytest.raises(DomainError):
        partnership_for(admin)
    client = portal(admin.user)
    response = client.post(reverse("portal_invitation", args=[link.pk]), {"accept": "1"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    link.refresh_from_db()
    assert link.status == ClinicLink.Status.ACTIVE and link.responded_by_id == admin.user_id
    with in_clinic(clinic_b):
        assert partnership_for(admin).organisation_id == admin.organisation_id
    connection.set_schema_to_public()
    home = client.get("/portal/").content.decode()
    assert "You approved the invitation of Beta Clinic" in home and "?clinic=beta" in home
    again = client.post(reverse("portal_invitation", args=[link.pk]), {"accept": "0"}, follow=True)
    assert b"answered already" in again.content
    link.refresh_from_db()
    assert link.status == ClinicLink.Status.ACTIVE


def test_declining_an_invitation(invited, portal):
    link = invited["link"]
    response = portal(invited["admin"].user).post(reverse("portal_invitation", args=[link.pk]), {"accept": "0"})
    assert response.status_code == 302
    link.refresh_from_db()
    assert link.status == ClinicLink.Status.DECLINED
    assert "Beta Clinic" not in portal(invited["admin"].user).get("/portal/").content.decode()


def test_only_the_companys_administrator_answers_its_invitations(invited, portal):
    link, url = invited["link"], reverse("portal_invitation", args=[invited["link"].pk])
    assert portal(invited["booker"].user).post(url, {"accept": "1"}).status_code == 403
    assert portal(invited["admin_b"].user).post(url, {"accept": "1"}).status_code == 404  # another company's
    assert portal(invited["admin"].user).get(url).status_code == 405
    assert portal(invited["admin"].user).post(url, {"accept": "maybe"}).status_code == 400
    assert portal(invited["admin"].user).post(reverse("portal_invitation", args=[link.pk + 1000]),
                                              {"accept": "1"}).status_code == 404
    link.refresh_from_db()
    assert link.status == ClinicLink.Status.INVITED and link.responded_by_id is None


# --- the company's users -------------------------------------------------------------------------


def test_the_user_list_shows_the_companys_users_only(company, portal, django_assert_max_num_queries):
    client = portal(company["admin"].user)
    # 7 queries (session, user, membership, company, terms, the users) and the schema switches around them
    with django_assert_max_num_queries(14):
        page = client.get("/portal/users/")
    content = page.content.decode()
    assert "Bogdan Booker" in content and "booker@ro123.example" in content
    assert "Call Centre Beta" not in content and company["admin_b"].user.email not in content
    for number in range(5):  # the number of queries does not grow with the users
        public(lambda n=number: PartnerUser.objects.create(
            user=User.objects.create_user(f"more{n}@ro123.example", f"More {n}"), organisation=company["organisation"]))
    with django_assert_max_num_queries(14):
        assert client.get("/portal/users/").content.decode().count("@ro123.example") >= 7


def test_adding_a_user_sends_a_working_link(company, portal, django_capture_on_commit_callbacks):
    client = portal(company["admin"].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/portal/users/new/", {"full_name": "Nina Nou", "email": "Nina@RO123.example",
                                                      "can_book": "on", "sees_finance": "on"})
    assert response.status_code == 302 and response["Location"] == "/portal/users/"
    added = public(lambda: PartnerUser.objects.select_related("user").get(user__email="nina@ro123.example"))
    assert (added.organisation_id, added.can_book, added.manages_users, added.sees_finance) == (
        company["organisation"].pk, True, False, True)
    assert not added.user.has_usable_password()
    message = mail.outbox[-1]
    assert message.to == ["nina@ro123.example"] and "MedAsist SRL" in message.subject
    # The same user's link (a token carries the second it was made: compare up to it), and it works.
    assert link_in(message).rsplit("/", 2)[0] == path_of(registration_link(added.user)).rsplit("/", 2)[0]
    assert portal().get(link_in(message)).context["validlink"]


@pytest.mark.parametrize("email", ["BOOKER@ro123.example", "contact@ro999.example"])
def test_an_email_address_already_used_is_refused(company, portal, email):
    sent = len(mail.outbox)
    response = portal(company["admin"].user).post("/portal/users/new/", {"full_name": "Copy", "email": email})
    assert response.status_code == 200 and "already has an account" in str(response.context["form"].errors["email"])
    assert len(mail.outbox) == sent and public(lambda: PartnerUser.objects.count()) == 3


def test_an_administrator_changes_permissions_and_deactivates_and_reactivates(company, portal):
    booker = company["booker"]
    client = portal(company["admin"].user)
    url = reverse("portal_user_edit", args=[booker.pk])
    assert client.get(url).context["form"].initial["can_book"] is True
    response = client.post(url, {"full_name": "Bogdan B.", "manages_users": "on", "is_active": "on"})
    assert response.status_code == 302
    booker = public(lambda: PartnerUser.objects.select_related("user").get(pk=booker.pk))
    assert (booker.can_book, booker.manages_users, booker.sees_finance, booker.user.full_name) == (
        False, True, False, "Bogdan B.")
    client.post(url, {"full_name": "Bogdan B."})  # not "is_active": deactivated
    assert not public(lambda: User.objects.get(pk=booker.user_id)).is_active
    login = Client(HTTP_HOST=HOST).post("/portal/login/", {"username": "booker@ro123.example",
                                                           "password": "booker-pw-2026"})
    assert login.status_code == 200  # refused
    client.post(url, {"full_name": "Bogdan B.", "is_active": "on"})
    assert public(lambda: User.objects.get(pk=booker.user_id)).is_active


@pytest.mark.parametrize("change", [{"is_active": "on"}, {"manages_users": "on"}])
def test_an_administrator_cannot_demote_or_deactivate_themselves(company, portal, change):
    admin = company["admin"]
    response = portal(admin.user).post(reverse("portal_user_edit", args=[admin.pk]),
                                       {"full_name": "Irina", "can_book": "on"} | change)
    assert response.status_code == 200
    assert "cannot remove your own right" in str(response.context["form"].errors)
    admin = public(lambda: PartnerUser.objects.select_related("user").get(pk=admin.pk))
    assert admin.manages_users and admin.user.is_active and admin.user.full_name != "Irina"


def test_another_companys_user_is_a_404(company, portal):
    url = reverse("portal_user_edit", args=[company["admin_b"].pk])
    client = portal(company["admin"].user)
    assert client.get(url).status_code == 404
    assert client.post(url, {"full_name": "Taken over", "is_active": "on"}).status_code == 404
    assert public(lambda: User.objects.get(pk=company["admin_b"].user_id)).full_name != "Taken over"


def test_a_user_who_does_not_manage_users_gets_403_on_every_users_url(company, portal):
    client = portal(company["booker"].user)
    for url in (reverse("portal_users"), reverse("portal_user_create"),
                reverse("portal_user_edit", args=[company["admin"].pk]),
                reverse("portal_user_edit", args=[company["admin_b"].pk])):
        assert client.get(url).status_code == 403, url
        assert client.post(url, {"full_name": "X", "email": "x@x.example", "manages_users": "on",
                                 "is_active": "on"}).status_code == 403, url
    assert not public(lambda: PartnerUser.objects.get(pk=company["booker"].pk)).manages_users
    assert not public(lambda: User.objects.filter(email="x@x.example").exists())
    assert b"/portal/users/" not in client.get("/portal/").content  # no menu entry either


def test_a_clinic_user_reaches_no_portal_administration(company, portal, clinic_a, client_for, in_clinic):
    from tests.factories import make_staff

    with in_clinic(clinic_a):
        staff = client_for(make_staff("manager"), clinic_a)
    urls = [reverse("portal_home"), reverse("portal_terms"), reverse("portal_users"), reverse("portal_user_create"),
            reverse("portal_user_edit", args=[company["admin"].pk]), reverse("portal_invitation", args=[1]),
            reverse("portal_register", args=["MQ", "token"])]
    for url in urls:  # the clinic's host has no /portal/ at all
        assert staff.get(url).status_code == 404, url
        assert staff.post(url, {"accept": "1"}).status_code == 404, url
    for url in urls[:-1]:  # on the public host the clinic's session means nothing: anonymous
        response = staff.get(url, HTTP_HOST=HOST)
        assert response.status_code == 302 and response["Location"].startswith("/portal/login/"), url
        response = staff.post(url, {"full_name": "X", "email": "x@x.example", "accept": "1"}, HTTP_HOST=HOST)
        assert response.status_code == 302 and response["Location"].startswith("/portal/login/"), url
    assert public(lambda: PartnerUser.objects.count()) == 3


# --- two administrators at once -------------------------------------------------------------------


def committed_public(build, django_db_blocker):
    """Run ``build()`` in the public schema on a connection of its own, committed: the test's
    connection is inside its rolled-back transaction, which other threads would not see."""
    outcome = {}

    def target():
        try:
            with schema_context("public"):
                outcome["value"] = build()
        except BaseException as exc:  # handed to the caller
            outcome["error"] = exc
        finally:
            connections.close_all()

    with django_db_blocker.unblock():
        worker = threading.Thread(target=target)
        worker.start()
        worker.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def two_administrators(django_db_blocker):
    """A committed company with two administrators; removed afterwards."""
    from auditlog.models import LogEntry

    from partners.organisations.models import PartnerOrganisation
    from partners.organisations.services import create_partner

    def build():
        created = create_partner(name="Race SRL", registration_number="RACE-1", kind="call_centre",
                                 contact_name="First", contact_email="first@race.example", password="race-pw-2026")
        second = PartnerUser.objects.create(
            user=User.objects.create_user("second@race.example", "Second", "race-pw-2026"),
            organisation=created.organisation, manages_users=True)
        return created.member, second

    first, second = committed_public(build, django_db_blocker)
    yield first, second

    def remove():
        members = list(PartnerUser.objects.filter(organisation_id=first.organisation_id))
        LogEntry.objects.filter(object_pk__in=[str(m.pk) for m in members],
                                content_type__model="partneruser").delete()
        LogEntry.objects.filter(object_pk=str(first.organisation_id),
                                content_type__model="partnerorganisation").delete()
        PartnerUser.objects.filter(organisation_id=first.organisation_id).delete()
        # Not .delete(): its cascade would look for clinic-only tables in the public schema.
        User.objects.filter(pk__in=[m.user_id for m in members])._raw_delete("default")
        PartnerOrganisation.objects.filter(pk=first.organisation_id).delete()

    committed_public(remove, django_db_blocker)


def test_two_administrators_demoting_each_other_at_once_leave_one(two_administrators, django_db_blocker):
    from partners.organisations.services import Permissions, change_partner_user

    first, second = two_administrators
    barrier = threading.Barrier(2)
    results = []

    def demote(actor, target):
        try:
            with django_db_blocker.unblock(), schema_context("public"):
                barrier.wait(timeout=30)
                try:
                    change_partner_user(actor, target, full_name=target.user.full_name,
                                        permissions=Permissions(), is_active=True)
                    results.append("done")
                except DomainError as refused:
                    results.append(refused.message)
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            results.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=demote, args=pair) for pair in ((first, second), (second, first))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(results) == ["You no longer manage your company's users.", "done"]
    managers = committed_public(lambda: PartnerUser.objects.filter(
        organisation_id=first.organisation_id, manages_users=True).count(), django_db_blocker)
    assert managers == 1
