"""The patient account statement, used as a person would: in chromium.

A front-desk member opens a patient's statement from the reception list (a
side panel), takes a payment from the cashier quick action, sees the balance
and the timeline change without a page reload, and downloads the receipt
(its text is checked). The statement's tabs are photographed for the README.
"""

from __future__ import annotations

import io
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")


def nav_link(page, name: str):
    from tests.browser.conftest import nav_link as shown_nav_link

    return shown_nav_link(page, name)


def build_a_patient_with_a_visit(unique: str):
    """A location, a practitioner, a patient who arrived today, an open visit with two lines (committed)."""
    from decimal import Decimal

    from billing import services as billing
    from clinic.models import Location
    from clinic.scheduling.models import Status
    from tests.factories import (
        AppointmentFactory,
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
        make_staff,
    )

    name = "Statement clinic" if not Location.objects.filter(name="Statement clinic").exists() \
        else f"Statement clinic {unique[:4]}"
    location = LocationFactory(name=name)
    practitioner = PractitionerFactory(full_name=f"Dr Vera Ionescu {unique[:4]}")
    category = ServiceCategoryFactory(name=f"Dentistry {unique}")
    filling = ServiceFactory(category=category, name="Composite filling", price=Decimal("850.00"))
    cleaning = ServiceFactory(category=category, name="Professional cleaning", price=Decimal("400.00"))
    patient = PatientFactory(first_name="Teodora", last_name=f"Plămădeală {unique[:4]}", phone=f"+37369{unique[:6]}")
    now = datetime.now(ALPHA_ZONE).replace(second=0, microsecond=0)
    # Earlier today in the clinic's time zone (just after midnight: at midnight), so today's reception lists it.
    starts = max(now - timedelta(minutes=40), now.replace(hour=0, minute=0))
    appointment = AppointmentFactory(location=location, practitioner=practitioner, patient=patient,
                                     starts_at=starts, ends_at=starts + timedelta(minutes=30),
                                     status=Status.ARRIVED)
    appointment.service_lines.create(service=filling)
    manager = make_staff("manager", email=f"statement-manager-{unique}@browser.example")
    visit = billing.open_visit(patient=patient, location=None, appointment=appointment, actor=manager)
    billing.add_line(visit, service=cleaning, actor=manager)
    billing.receive_deposit(patient=patient, amount="300", method="card", actor=manager, note="Crown, next month")
    return {"location": location, "patient": patient, "visit": visit, "due": Decimal("1250.00")}


def test_front_desk_takes_a_payment_in_the_statement_without_leaving_the_reception(
    page, login, make_alpha_staff, committed, unique, screenshot
):
    data = committed(lambda: build_a_patient_with_a_visit(unique))
    patient = data["patient"]
    front_desk = make_alpha_staff("front_desk")
    login(page, front_desk.email)

    # --- The reception list of today, at the patient's location.
    nav_link(page, "Reception").click()
    page.get_by_label("Location", exact=True).select_option(label=data["location"].name)
    expect(page).to_have_url(re.compile(rf"location={data['location'].pk}\b"))
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    # --- The patient's name opens the statement in a side panel.
    page.locator("#reception-table").get_by_role("link", name=patient.full_name).click()
    panel = page.locator("#side-panel")
    expect(panel).to_be_visible()
    expect(panel.get_by_role("heading", level=2)).to_contain_text(patient.full_name)
    balance = panel.locator("#statement-balance")
    expect(balance).to_have_text("1,250.00 EUR")
    expect(panel.locator("#timeline")).to_contain_text(f"Visit #{data['visit'].number}")
    screenshot(page, "statement-summary.png")

    # --- The cashier quick action: pay the visit in cash, with change.
    panel.get_by_role("button", name="Cashier").click()
    cashier = panel.locator("#cashier-form")
    expect(cashier.get_by_label("Amount")).to_have_value("1250.00")
    cashier.get_by_label("Method").select_option(label="Cash")
    cashier.get_by_label("Amount").fill("2000")
    cashier.get_by_role("button", name="Take payment").click()
    expect(cashier.locator(".invalid-feedback")).to_contain_text("Only 1,250.00 EUR is due")
    expect(balance).to_have_text("1,250.00 EUR")  # refused: nothing changed
    cashier.get_by_label("Amount").fill("1250")
    cashier.get_by_label("Cash tendered").fill("1300")
    cashier.get_by_role("button", name="Take payment").click()

    notice = panel.locator("#statement-notice")
    expect(notice).to_contain_text("of 1,250.00 EUR taken. Change: 50.00 EUR.")
    expect(panel.locator("#statement-balance")).to_have_text("0.00 EUR")
    expect(panel.locator("#timeline li").first).to_contain_text("Payment #")
    expect(panel.locator("#timeline li").first).to_contain_text("1,250.00 EUR")
    assert page.evaluate("window.__samePage") is True  # no page reload
    screenshot(page, "statement-after-payment.png")

    # --- The receipt, as a PDF with the payment in it.
    receipt_url = notice.get_by_role("link", name="Receipt (PDF)").get_attribute("href")
    # Fetched by the page itself (with its session): chromium resolves *.localhost, the driver does not.
    fetched = page.evaluate(
        """async (url) => {
            const response = await fetch(url);
            const bytes = new Uint8Array(await response.arrayBuffer());
            return {status: response.status, type: response.headers.get("content-type"), bytes: Array.from(bytes)};
        }""",
        receipt_url,
    )
    assert fetched["status"] == 200 and fetched["type"] == "application/pdf"
    from pypdf import PdfReader

    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(bytes(fetched["bytes"]))).pages)
    assert "1,250.00" in text and "EUR" in text and patient.last_name.split()[0] in text

    # --- The other tabs.
    for tab, shot, expected in [
        ("Transactions", "statement-transactions.png", "Payment"),
        ("Visits", "statement-visits.png", f"#{data['visit'].number}"),
        ("Deposits", "statement-deposits.png", "Crown, next month"),
    ]:
        panel.get_by_role("tab", name=tab).click()
        expect(panel.get_by_role("tab", name=tab)).to_have_attribute("aria-selected", "true")
        expect(panel.locator("#statement-tab")).to_contain_text(expected)
        if tab == "Transactions":  # newest first: the payment, and the balance after it
            expect(panel.locator("#statement-transactions tbody tr").first).to_contain_text("0.00 EUR")
            # The statement of this year as a PDF, built in the background with its progress shown.
            panel.get_by_role("button", name="Statement (PDF)").click()
            expect(panel.locator("#statement-export")).to_contain_text("Ready", timeout=30_000)
            expect(panel.locator("#statement-export").get_by_role("link", name="Download")).to_be_visible()
        screenshot(page, shot)

    # --- The database agrees.
    def figures():
        from billing import ledger
        from billing.models import Payment

        payment = Payment.objects.get(patient=patient)
        return ledger.balance(patient), payment.amount, payment.change, payment.cashier.email

    balance_now, amount, change, cashier_email = committed(figures)
    assert (str(balance_now), str(amount), str(change), cashier_email) == ("0.00", "1250.00", "50.00",
                                                                           front_desk.email)
