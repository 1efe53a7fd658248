"""The clinic's partners, used as a person would: a manager adds a partner company with a 10 %
commission, ticks two services for it in the traffic channels matrix (the whole category at
once) and saves. Photographed for the README."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in
from tests.browser.conftest import nav_link as shown_nav_link


@pytest.fixture
def partner_names(unique, forget_partners):
    """The companies this test adds, by registration number; removed afterwards with their
    users, links and partnerships (before the services they may book go)."""
    numbers = [f"RO-{unique}-1", f"RO-{unique}-2"]
    yield numbers

    forget_partners(numbers)


def test_a_manager_adds_a_partner_and_opens_two_traffic_channels(
    page, make_alpha_staff, committed, unique, screenshot, partner_names
):
    from tests.factories import LocationFactory, ServiceCategoryFactory, ServiceFactory

    cardiology = f"Cardiology {unique[:4]}"

    def build():
        from partners.services import PartnerData, PartnerTerms, add_partner

        central = LocationFactory(name=f"Central {unique[:4]}")
        LocationFactory(name=f"Riverside {unique[:4]}")
        category = ServiceCategoryFactory(name=cardiology)
        for name, price in (("Cardiology consultation", "450.00"), ("ECG", "150.00")):
            ServiceFactory(name=name, category=category, price=Decimal(price))
        ServiceFactory(name="MRI", category=ServiceCategoryFactory(name=f"Imaging {unique[:4]}"),
                       price=Decimal("2500.00"))
        # A partner added earlier, still to register: the list shows it invited.
        add_partner(PartnerData(name="Dr Popa Ion PFA", registration_number=partner_names[1],
                                kind="individual_doctor", contact_name="Ion Popa",
                                contact_email=f"ion-{unique}@popa.example"),
                    PartnerTerms(location_ids=[central.pk], payment_place="partner"), actor=None)

    committed(build)
    manager = make_alpha_staff("manager")
    log_in(page, manager.email)

    shown_nav_link(page, "Partners").click()
    page.get_by_role("link", name="Add a partner").click()
    page.get_by_label("Company name").fill("MedAsist SRL")
    page.get_by_label("Registration number").fill(partner_names[0])
    page.get_by_label("Type").select_option(label="Outsourced call centre")
    page.get_by_label("Address").fill("Str. Ștefan cel Mare 12, Chișinău")
    page.get_by_label("Contact person").fill("Irina Lungu")
    page.get_by_label("Contact email").fill(f"irina-{unique}@medasist.example")
    page.get_by_label(f"Central {unique[:4]}").check()
    page.get_by_label("The partner earns a commission").check()
    page.get_by_label("Commission (%)").fill("10")
    page.get_by_label("Place of payment").select_option(label="At the partner")
    page.get_by_label("Access to patient data").check()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "partner-form.png")
    page.get_by_label("Commission (%)").fill("150")  # a slip of the finger: refused, nothing written
    page.get_by_role("button", name="Add the partner").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("Enter a percent from 0 to 100.")
    expect(page.get_by_label("Company name")).to_have_value("MedAsist SRL")
    page.get_by_label("Commission (%)").fill("10")
    page.get_by_role("button", name="Add the partner").click()
    expect(page.get_by_role("alert")).to_contain_text("MedAsist SRL is added.")
    expect(page.get_by_role("alert")).to_contain_text("got an email to register and accept the terms")
    row = page.locator("#partner-table tr", has_text="MedAsist SRL")
    expect(row).to_contain_text("10 %")
    expect(row).to_contain_text("Invited")
    expect(row).to_contain_text("At the partner")
    screenshot(page, "partners-list.png")

    page.get_by_role("link", name="Traffic channels").click()
    page.get_by_role("button", name=f"Tick all of {cardiology} for MedAsist SRL").click()
    expect(page.locator("#channels-not-saved")).to_be_visible()
    consultation = page.get_by_label("MedAsist SRL may book Cardiology consultation")
    ecg = page.get_by_label("MedAsist SRL may book ECG")
    expect(consultation).to_be_checked()
    expect(ecg).to_be_checked()
    expect(page.get_by_label("MedAsist SRL may book MRI")).not_to_be_checked()
    expect(page.get_by_label("Dr Popa Ion PFA may book ECG")).not_to_be_checked()
    page.get_by_label("Dr Popa Ion PFA may book MRI").check()
    screenshot(page, "traffic-channels.png")
    page.get_by_role("button", name="Save").first.click()
    expect(page.get_by_role("alert")).to_contain_text("The traffic channels are saved.")
    expect(page.get_by_label("MedAsist SRL may book ECG")).to_be_checked()

    def saved():
        from partners.models import Partnership

        return {p.organisation.registration_number: (p.commission, p.commission_percent, p.payment_place,
                                                     sorted(s.name for s in p.services.all()))
                for p in Partnership.objects.select_related("organisation")
                .filter(organisation__registration_number__in=partner_names)}

    assert committed(saved) == {
        partner_names[0]: (True, Decimal("10.00"), "partner", ["Cardiology consultation", "ECG"]),
        partner_names[1]: (False, Decimal("0.00"), "partner", ["MRI"]),
    }
