"""The receptionist's day, walked as a person would at 1280 px (issue 15; the booking dialog's
click count is the accessibility work's own test): a new patient whose phone, typed in the local
format, belongs to someone else gets the shared-phone question; arrival is refused two days
early and registered on the day; the visit is opened from the appointment, two services are
added; one payment part in cash with change and part by card, both on today's visit, with one
receipt; a deposit with its receipt. The same in Persian: the phone reads left to right inside
the right-to-left page. Screenshots for the README."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from tests.browser.conftest import log_in

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")


def build_the_day(unique: str):
    from billing import services as billing
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

    location = LocationFactory(name=f"Desk clinic {unique[:6]}")
    practitioner = PractitionerFactory(full_name=f"Dr Ana Rusu {unique[:4]}")
    category = ServiceCategoryFactory(name=f"Desk {unique}")
    consultation = ServiceFactory(category=category, name=f"Consultation {unique[:4]}", price=Decimal("300.00"))
    varnish = ServiceFactory(category=category, name=f"Fluoride varnish {unique[:4]}", price=Decimal("150.00"))
    xray = ServiceFactory(category=category, name=f"24-hour Holter {unique[:4]}", price=Decimal("200.00"))
    digits = int(unique[:6], 16) % 1_000_000
    owner = PatientFactory(first_name="Elena", last_name=f"Popa {unique[:4]}", phone=f"+40721{digits:06d}")
    patient = PatientFactory(first_name="Mihai", last_name=f"Lungu {unique[:4]}", phone=f"+40731{digits:06d}")
    now = datetime.now(ALPHA_ZONE).replace(second=0, microsecond=0)
    starts = max(now - timedelta(minutes=20), now.replace(hour=0, minute=0))
    today = AppointmentFactory(location=location, practitioner=practitioner, patient=patient, starts_at=starts,
                               ends_at=starts + timedelta(minutes=30), status=Status.CONFIRMED)
    today.service_lines.create(service=consultation)
    later = now + timedelta(days=2)
    ahead = AppointmentFactory(location=location, practitioner=practitioner, patient=patient, starts_at=later,
                               ends_at=later + timedelta(minutes=30), status=Status.CONFIRMED)
    # An older visit that still owes: the cashier must not pay it by default.
    old = billing.open_visit(patient=patient, location=location, actor=make_staff("manager"))
    billing.add_line(old, service=varnish, actor=make_staff("manager"))
    return {"owner": owner, "patient": patient, "today": today, "ahead": ahead, "old": old,
            "varnish": varnish, "xray": xray, "local_phone": f"0721 {digits:06d}"[:8] + "-" + f"{digits:06d}"[3:]}  # 0721 123-456


def pdf_type(page, url: str) -> str:
    """The content type of a document, fetched by the page itself (with its session)."""
    return page.evaluate("async url => { const r = await fetch(url); return r.ok ? r.headers.get('content-type') : r.status }",
                         url)


def test_the_receptionists_day(page, make_alpha_staff, committed, unique, screenshot, alpha_url):
    from billing.models import Payment
    from clinic.phones import display

    made = committed(lambda: build_the_day(unique))
    patient = made["patient"]
    desk = make_alpha_staff("front_desk")
    log_in(page, desk.email)

    # --- A new patient with a phone typed in the local format that belongs to someone else.
    page.goto("/patients/new/")
    page.get_by_label("First name").fill("Ionuț")
    page.get_by_label("Last name").fill(f"Popa {unique[:4]}")
    page.get_by_label("Phone").fill(made["local_phone"])
    page.get_by_role("button", name="Save").click()
    question = page.locator("#phone-decision")
    expect(question).to_be_visible()
    expect(question).to_contain_text(made["owner"].full_name)
    screenshot(page, "shared-phone-question.png")

    # --- Arrival two days early is refused; on the day it is registered.
    page.goto(f"/appointments/{made['ahead'].pk}/")
    page.locator('button[data-action="arrive"]').click()
    expect(page.get_by_role("alert")).to_contain_text("only on the appointment's day")
    page.goto(f"/appointments/{made['today'].pk}/")
    page.locator('button[data-action="arrive"]').click()
    expect(page.locator("#appointment-status")).to_have_text("Arrived")

    # --- Open visit from the appointment; a second service.
    page.locator("#open-visit").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Visit #")
    expect(page.locator("#visit-lines")).to_contain_text("Consultation")
    services = page.get_by_label("Service", exact=True)
    services.select_option(services.locator("option", has_text=made["xray"].name).get_attribute("value"))
    page.locator("#line-form").get_by_role("button", name="Add").click()
    expect(page.locator("#visit-lines")).to_contain_text(made["xray"].name)  # 300 + 200 = 500 due

    # --- The cashier from the visit: part cash with change, part card, one dialog.
    page.get_by_role("button", name="Cashier").click()
    cashier = page.locator("#cashier-form")
    expect(cashier.get_by_label("Amount")).to_have_value("500.00")
    expect(page.locator("#cashier-settles-list")).to_contain_text("all it owes")
    cashier.get_by_label("Method").select_option(label="Cash")
    cashier.get_by_label("Amount").fill("200")
    cashier.get_by_label("Cash tendered").fill("250")
    cashier.get_by_label("Other way of paying").select_option(label="Card")
    cashier.get_by_label("Paid that way").fill("300")
    page.locator("#cashier-form .btn-primary").focus()  # leaving the field: the form asks again
    page.wait_for_timeout(600)
    expect(page.locator("#cashier-settles-list")).to_contain_text("500.00 EUR · all it owes")
    screenshot(page, "cashier-two-methods.png")
    cashier.get_by_role("button", name="Take payment").click()
    notice = page.locator("#statement-notice")
    expect(notice).to_contain_text("of 500.00 EUR taken.")
    expect(notice).to_contain_text("Change: 50.00 EUR.")
    receipt = page.locator("#receipt-link").get_attribute("href")
    assert pdf_type(page, receipt) == "application/pdf"

    def payments():
        return list(Payment.objects.filter(patient_id=patient.pk).order_by("id").values_list(
            "visit_id", "method", "amount", "part_of_id"))

    rows = committed(payments)
    visit_id = rows[0][0]
    assert visit_id != made["old"].pk
    assert [(method, amount) for _v, method, amount, _p in rows] == [("cash", Decimal("200.00")),
                                                                     ("card", Decimal("300.00"))]
    assert {v for v, *_ in rows} == {visit_id} and rows[1][3] is not None  # one payment, today's visit

    # --- A deposit with its receipt.
    panel = page.locator("#side-panel")
    panel.get_by_role("button", name="Deposit").click()
    page.locator("#statement-action").get_by_label("Amount").fill("400")
    page.locator("#statement-action").get_by_label("For what").fill("Crown next month")
    page.locator("#statement-action").get_by_role("button", name="Receive deposit").click()
    expect(page.locator("#statement-notice")).to_contain_text("Deposit #")
    receipt = page.locator("#receipt-link").get_attribute("href")
    assert "/deposits/" in receipt and pdf_type(page, receipt) == "application/pdf"
    screenshot(page, "deposit-receipt-notice.png")

    # --- In Persian: the phone reads left to right inside the right-to-left page.
    host = alpha_url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "fa", "domain": host, "path": "/"}])
    page.goto(f"/patients/?q={patient.last_name.split()[1]}")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    phone = page.locator("#patient-table bdi.phone").first
    expect(phone).to_have_attribute("dir", "ltr")
    expect(phone).to_have_text(display(patient.phone, "RO"))
    screenshot(page, "patients-fa-phone-ltr.png")


def test_mixed_direction_text_reads_right_in_persian(page, make_alpha_staff, committed, unique, alpha_url,
                                                     screenshot):
    """A Latin service name starting with digits and an amount, in the right-to-left visit page:
    each cell takes its own direction, so "24-hour Holter" starts with "24" on the left."""
    from billing import services as billing

    def build():
        made = build_the_day(unique)
        from tests.factories import make_staff

        manager = make_staff("manager")
        visit = billing.open_visit(patient=made["patient"], location=made["today"].location, actor=manager)
        billing.add_line(visit, service=made["xray"], actor=manager)
        return made, visit

    made, visit = committed(build)
    log_in(page, make_alpha_staff("front_desk").email)
    host = alpha_url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": "fa", "domain": host, "path": "/"}])
    page.goto(f"/visits/{visit.pk}/")
    cell = page.locator("#visit-lines tbody td", has_text=made["xray"].name).first
    assert cell.evaluate("el => getComputedStyle(el).unicodeBidi") == "plaintext"
    assert cell.evaluate("el => getComputedStyle(el).direction") == "rtl"  # the page's; the text decides
    # The text starts with its own first letter's direction: "24" is drawn at the cell's left end.
    first_char_left = cell.evaluate("""el => { const range = document.createRange();
        const text = el.firstChild; range.setStart(text, 0); range.setEnd(text, 2);
        return range.getBoundingClientRect().left - el.getBoundingClientRect().left; }""")
    assert first_char_left < 20
    screenshot(page, "visit-fa-mixed-direction.png")
