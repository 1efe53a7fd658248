"""Accessibility, checked as the screens are used: axe-core (vendored, tests/browser/vendor/axe-core)
over every main screen of every role, in English and in Persian (right to left).

Each role logs in, chooses the language in the top bar, then opens every entry of its menu and
the screens behind them (the day view with the booking dialog and the account statement panel
open, an appointment, a visit, the reports, the partners' screens; for a partner's user the
portal's screens and its booking dialog). A serious or critical axe violation on any of them
fails the test, naming the rule and the elements.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import STAFF_PASSWORD, check_accessibility

PORTAL_PASSWORD = "a11y-portal-pass-1"
LANGUAGES = {"en": "English", "fa": "فارسی"}


@pytest.fixture
def world(committed, committed_public, unique, forget_partners):
    """Clinic alpha (committed): a location open every day, a practitioner, services, a patient with
    the standard Barter flag booked tomorrow, a walk-in with an open visit; a partner with a
    user who may book, see the account and manage users; one staff member per role."""
    from decimal import Decimal

    def build():
        from datetime import time

        from billing import services as billing
        from billing.reports import clinic_today
        from clinic.patients.models import Flag, PatientFlag
        from clinic.scheduling.availability import aware, clinic_zone
        from clinic.scheduling.services import book_appointment
        from partners.services import PartnerData, PartnerTerms, add_partner
        from tests.factories import (
            LocationFactory,
            PatientFactory,
            PractitionerFactory,
            ServiceCategoryFactory,
            ServiceFactory,
            make_staff,
            open_every_day,
        )

        location = LocationFactory(name=f"Axe clinic {unique}", open_weekdays=False)
        practitioner = PractitionerFactory(full_name=f"Dr Axe Rusu {unique[:4]}")
        open_every_day(location, practitioner)
        category = ServiceCategoryFactory(name=f"Axe care {unique}")
        service = ServiceFactory(category=category, code=f"AX-{unique}", name=f"Axe consultation {unique[:4]}",
                                 price=Decimal("300.00"), duration_minutes=30)
        staff = {role: make_staff(role, email=f"{role}-{unique}@axe.example", password=STAFF_PASSWORD)
                 for role in ("front_desk", "manager", "finance", "marketing")}
        patient = PatientFactory(first_name="Ana", last_name=f"Barter {unique[:4]}")
        PatientFlag.objects.create(patient=patient, flag=Flag.objects.get(code="barter"))
        day = clinic_today() + timedelta(days=1)
        appointment = book_appointment(actor=staff["manager"], patient=patient, location=location,
                                       practitioner=practitioner, service_ids=[service.pk],
                                       starts_at=aware(day, time(10), clinic_zone()))
        walk_in = PatientFactory(first_name="Ion", last_name=f"Walk {unique[:4]}")
        visit = billing.open_visit(patient=walk_in, location=location, actor=staff["manager"])
        billing.add_line(visit, service=service, actor=staff["manager"])
        partnership = add_partner(
            PartnerData(name=f"Axe Partner {unique}", registration_number=f"AX-{unique}", kind="call_centre",
                        contact_name="Irina Axe", contact_email=f"irina-{unique}@axe.example"),
            PartnerTerms(location_ids=[location.pk], commission=True, commission_percent="10"),
            actor=staff["manager"])
        partnership.services.set([service])
        return {"location": location, "practitioner": practitioner, "day": day, "patient": patient,
                "appointment": appointment, "visit": visit, "staff": staff,
                "partnership_id": partnership.pk, "organisation_id": partnership.organisation_id}

    made = committed(build)

    def member():
        from partners.organisations.models import PartnerUser
        from partners.organisations.services import accept_terms

        member = PartnerUser.objects.select_related("user").get(organisation_id=made["organisation_id"])
        member.user.set_password(PORTAL_PASSWORD)
        member.user.must_change_password = False
        member.user.save()
        member.can_book = member.sees_finance = member.manages_users = True
        member.save()
        accept_terms(member)
        return member

    made["member"] = committed_public(member)
    yield made
    forget_partners([f"AX-{unique}"])


def choose_language(page, language: str) -> None:
    page.locator("#language-select").select_option(language)
    expect(page.locator("html")).to_have_attribute("lang", language)


def menu_links(page) -> list[str]:
    """Every screen the top bar offers this user: its links and the entries of its menus (the
    user menu's too), each once, in the bar's order."""
    hrefs = page.locator("#main-nav a.nav-link, #main-nav a.dropdown-item").evaluate_all(
        "links => links.map(a => a.getAttribute('href'))")
    return list(dict.fromkeys(href for href in hrefs if href and not href.startswith("#")))


def visit_and_check(page, path: str, seen: list[str], *, offered: bool = True) -> bool:
    """Open ``path`` and check it with axe. A screen the menu ``offered`` must open (200, HTML);
    any other may instead be refused to this role (403), and is then not checked."""
    response = page.goto(path)
    assert response is not None, path
    if not offered and response.status == 403:
        return False
    assert response.status == 200 and "html" in response.headers.get("content-type", ""), \
        (path, response.status, response.headers.get("content-type"))
    check_accessibility(page, what=f"{path} ({page.locator('html').get_attribute('lang')})")
    seen.append(path)
    return True


def open_dialog_and_check(page, opener, name_pattern, seen: list[str], what: str) -> None:
    opener.click()
    dialog = page.get_by_role("dialog", name=name_pattern)
    expect(dialog).to_be_visible()
    check_accessibility(page, what=what)
    seen.append(what)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


@pytest.mark.parametrize("language", ["en", "fa"])
@pytest.mark.parametrize("role", ["front_desk", "manager", "finance", "marketing"])
def test_every_main_screen_of_a_clinic_role_passes_axe(page, login, world, role, language):
    login(page, world["staff"][role].email)
    choose_language(page, language)
    seen: list[str] = []
    check_accessibility(page, what=f"home ({language})")
    for href in menu_links(page):
        visit_and_check(page, href, seen)

    location, day = world["location"], world["day"]
    calendar = f"/calendar/?location={location.pk}&date={day.isoformat()}"
    extra = [
        f"/calendar/week/?location={location.pk}&date={day.isoformat()}",
        f"/reception/?location={location.pk}&date={day.isoformat()}",
        f"/appointments/{world['appointment'].pk}/",
        f"/visits/{world['visit'].pk}/",
        f"/patients/{world['patient'].pk}/",
        "/appointments/free/",
        "/reports/revenue/", "/reports/deposits/", "/barter/report/", "/barter/agreements/",
        "/partners/channels/", "/partners/statistics/", f"/partners/{world['partnership_id']}/account/",
        "/accounts/password/",
        # Screens reached from others (not from the top bar) or kept for one role.
        "/platform-orders/", "/platform-orders/awaiting/", "/reconciliation/report/", "/settlement/vouchers/",
        "/finance/counterparties/",
    ]
    for path in extra:
        visit_and_check(page, path, seen, offered=False)

    assert visit_and_check(page, calendar, seen)
    slots = page.locator("#calendar .slot-free")
    if slots.count():  # the roles that book: the booking dialog
        open_dialog_and_check(page, slots.first, re.compile(r"."), seen, f"booking dialog ({language})")
    page.goto(f"/reception/?location={location.pk}&date={day.isoformat()}")
    name = page.locator("#main").get_by_role("link", name=re.compile(world["patient"].last_name))
    if name.count() and name.first.get_attribute("hx-get"):  # the account statement panel
        name.first.click()
        expect(page.locator("#side-panel")).to_be_visible()
        expect(page.locator("#side-panel-content")).not_to_be_empty()
        check_accessibility(page, what=f"account statement panel ({language})")
        seen.append("statement")
    offered = menu_links(page)
    assert len(seen) >= 8 and all(path in seen for path in offered), (offered, seen)


@pytest.mark.parametrize("language", ["en", "fa"])
def test_every_screen_of_a_partner_user_passes_axe(browser, public_url, world, language):
    context = browser.new_context(viewport={"width": 1280, "height": 800}, base_url=public_url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/portal/login/")
        check_accessibility(page, what="portal login")
        page.get_by_label("Email address").fill(world["member"].user.email)
        page.get_by_label("Password").fill(PORTAL_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/portal/$"))
        choose_language(page, language)
        seen: list[str] = []
        check_accessibility(page, what=f"portal home ({language})")
        for href in menu_links(page):
            visit_and_check(page, href, seen)
        visit_and_check(page, "/portal/users/new/", seen)
        visit_and_check(page, "/portal/password/", seen)

        # The calendar of the clinic's location for the week, and its booking dialog.
        page.goto(f"/portal/book/?clinic=alpha&location={world['location'].pk}&week={world['day'].isoformat()}")
        calendar = page.locator("#portal-calendar")
        expect(calendar).to_contain_text(world["practitioner"].full_name)
        check_accessibility(page, what=f"portal calendar ({language})")
        open_dialog_and_check(page, calendar.locator("a[href*='start=']").first, re.compile(r"."), seen,
                              f"portal booking dialog ({language})")
        assert len(seen) >= 5, seen
    finally:
        context.close()
