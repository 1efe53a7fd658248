"""The master-data screens of clinic alpha, used as a person would: in chromium.

Each test logs in through the login form with a committed staff member of its
own; names carry a random token so a rerun on a reused database cannot collide.
"""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import expect

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def nav_link(page, name: str):
    from tests.browser.conftest import nav_link as shown_nav_link

    return shown_nav_link(page, name)


def open_price_list(page):
    nav_link(page, "Price list").click()
    expect(page.get_by_role("heading", level=1, name="Price list")).to_be_visible()


def service_row(page, code: str):
    return page.locator("#service-table tbody tr", has=page.get_by_role("cell", name=code, exact=True))


def test_manager_adds_a_service_changes_its_price_and_reads_its_history(
    page, login, make_alpha_staff, unique, screenshot
):
    manager = make_alpha_staff("manager")
    login(page, manager.email)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
    expect(nav_link(page, "Today")).to_have_attribute("aria-current", "page")

    open_price_list(page)
    page.get_by_role("link", name="Add a service").click()
    expect(page.get_by_role("heading", level=1, name="Add a service")).to_be_visible()
    code, name, category = f"br-{unique}", f"Check-up {unique}", f"Browser tests {unique}"
    page.get_by_label("Code", exact=True).fill(code)
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("or a new category").fill(category)
    page.get_by_label("Duration (minutes)").fill("45")
    page.get_by_label("Price", exact=True).fill("1234.50")
    page.get_by_role("button", name="Save").click()

    expect(page).to_have_url(re.compile(r"/services/$"))
    expect(page.get_by_role("alert")).to_contain_text(f"Service “{name}” saved.")
    row = service_row(page, code.upper())  # codes are stored in capitals
    expect(row).to_contain_text(name)
    expect(row).to_contain_text(category)
    expect(row).to_contain_text("1,234.50 EUR")
    expect(row).to_contain_text("45")
    screenshot(page, "price-list.png")

    row.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1, name=name)).to_be_visible()
    price = page.get_by_label("Price", exact=True)
    expect(price).to_have_value("1234.50")
    price.fill("1500")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("alert")).to_contain_text(f"Service “{name}” saved.")
    expect(row).to_contain_text("1,500.00 EUR")

    row.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"History · {code.upper()} {name}")
    price_change = page.locator("#audit-trail .audit-change div", has_text=re.compile(r"^price:"))
    expect(price_change).to_have_count(2)  # the creation and the change
    expect(price_change.first).to_have_text("price: 1,234.50 → 1,500.00")  # in the language's numbers
    expect(page.locator("#audit-trail tbody tr").first).to_contain_text(manager.full_name)
    screenshot(page, "audit-trail.png")


def test_manager_imports_a_price_list_all_or_nothing(
    page, login, make_alpha_staff, committed, unique, screenshot
):
    from clinic.models import Service

    manager = make_alpha_staff("manager")
    login(page, manager.email)
    open_price_list(page)
    page.get_by_role("link", name="Import").click()
    expect(page.get_by_role("heading", level=1, name="Import the price list")).to_be_visible()

    header = "Code,Name,Category,Duration (minutes),Price\n"
    prefix = f"IMP-{unique}".upper()
    bad = (
        header
        + f"{prefix}-1,Blood test {unique},Lab {unique},15,25.00\n"
        + f"{prefix}-2,Urine test {unique},Lab {unique},10,lots\n"
    )
    upload = page.get_by_label("Price list file (.xlsx or .csv)")
    upload.set_input_files({"name": "price-list-bad.csv", "mimeType": "text/csv", "buffer": bad.encode()})
    page.get_by_role("button", name="Import", exact=True).click()

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("The file was not imported: 1 problem was found.")
    expect(alert).to_contain_text("Nothing was saved.")
    errors = page.locator("#import-errors tbody tr")
    expect(errors).to_have_count(1)
    expect(errors.first.locator("td")).to_have_text(["3", "Price", "Enter a number."])
    assert committed(lambda: Service.objects.filter(code__startswith=prefix).count()) == 0
    screenshot(page, "price-list-import-errors.png")

    good = (
        header
        + f"{prefix}-1,Blood test {unique},Lab {unique},15,25.00\n"
        + f'{prefix}-2,Urine test {unique},Lab {unique},10,"1,234.5"\n'
    )
    upload.set_input_files({"name": "price-list.csv", "mimeType": "text/csv", "buffer": good.encode()})
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page).to_have_url(re.compile(r"/services/$"))
    expect(page.get_by_role("alert")).to_contain_text("Price list imported: 2 new, 0 changed, 0 unchanged.")
    expect(service_row(page, f"{prefix}-1")).to_contain_text("25.00 EUR")
    expect(service_row(page, f"{prefix}-2")).to_contain_text("1,234.50 EUR")
    prices = committed(
        lambda: dict(Service.objects.filter(code__startswith=prefix).values_list("code", "price"))
    )
    assert prices == {f"{prefix}-1": Decimal("25.00"), f"{prefix}-2": Decimal("1234.50")}


def test_manager_exports_the_price_list_to_excel(page, login, make_alpha_staff, committed, unique, tmp_path):
    from openpyxl import load_workbook

    from tests.factories import ServiceFactory

    code = f"EXP-{unique}".upper()
    committed(lambda: ServiceFactory(code=code, name=f"Export check {unique}", price=Decimal("77.70")))
    manager = make_alpha_staff("manager")
    login(page, manager.email)
    open_price_list(page)

    page.get_by_role("button", name="Export to Excel").click()
    progress = page.locator("#export-progress")
    download_link = progress.get_by_role("link", name="Download")
    expect(download_link).to_be_visible()
    expect(progress).to_contain_text("Price list: Ready")
    with page.expect_download() as info:
        download_link.click()
    download = info.value
    assert re.fullmatch(r"price-list-alpha-\d{8}-\d{4}\.xlsx", download.suggested_filename)
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    workbook = load_workbook(path, read_only=True)
    rows = [list(row) for row in workbook.worksheets[0].iter_rows(values_only=True)]
    workbook.close()
    assert rows[0][:5] == ["Code", "Name", "Category", "Duration (minutes)", "Price"]
    mine = [row for row in rows if row[0] == code]
    assert len(mine) == 1
    assert mine[0][1] == f"Export check {unique}"
    assert Decimal(str(mine[0][4])) == Decimal("77.70")


def _persian_catalogue_translates(message: str) -> str | None:
    """The compiled Persian translation of ``message``, or None (not compiled yet)."""
    from django.utils import translation

    if not (BASE_DIR / "locale" / "fa" / "LC_MESSAGES" / "django.mo").exists():
        return None
    with translation.override("fa"):
        translated = translation.gettext(message)
    return translated if translated != message else None


def test_persian_is_rendered_right_to_left(page, login, make_alpha_staff, committed, unique, screenshot):
    from tests.factories import ServiceFactory

    code = f"FA-{unique}".upper()
    committed(lambda: ServiceFactory(code=code, name=f"ویزیت عمومی {unique}", price=Decimal("1234.50")))
    manager = make_alpha_staff("manager")
    login(page, manager.email)
    open_price_list(page)
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "ltr")

    page.get_by_label("Language").select_option(label="فارسی")

    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "fa")
    expect(page).to_have_url(re.compile(r"/services/$"))  # back on the same page
    rtl_css = page.locator('link[rel="stylesheet"][href*="bootstrap.rtl.min.css"]')
    expect(rtl_css).to_have_count(1)
    expect(page.locator('link[href*="bootstrap.min.css"]')).to_have_count(0)
    # Waits until the stylesheet is parsed: right after the language switch the page may still be loading.
    page.wait_for_function(
        """() => [...document.styleSheets].some(
               s => s.href && s.href.includes("bootstrap.rtl.min.css") && s.cssRules.length > 0)"""
    )
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    expect(service_row(page, code)).to_contain_text(f"ویزیت عمومی {unique}")
    translated = _persian_catalogue_translates("Price list")
    heading = page.get_by_role("heading", level=1)
    if translated is not None:  # the Persian catalogue is compiled
        expect(heading).to_have_text(translated)
        expect(heading).not_to_have_text("Price list")
    screenshot(page, "price-list-fa.png")

    page.get_by_label(re.compile("Language|زبان")).select_option(label="English")
    expect(html).to_have_attribute("dir", "ltr")
    expect(page.get_by_role("heading", level=1, name="Price list")).to_be_visible()
    expect(page.locator('link[rel="stylesheet"][href*="bootstrap.min.css"]')).to_have_count(1)


def test_manager_adds_a_practitioner_and_sets_working_hours(
    page, login, make_alpha_staff, committed, unique, screenshot
):
    from tests.factories import LocationFactory

    location = committed(lambda: LocationFactory(name=f"Riverside {unique}"))
    manager = make_alpha_staff("manager")
    login(page, manager.email)

    nav_link(page, "Practitioners").click()
    expect(page.get_by_role("heading", level=1, name="Practitioners")).to_be_visible()
    page.get_by_role("link", name="Add a practitioner").click()
    full_name = f"Dr Ana Popescu {unique}"
    page.get_by_label("Full name").fill(full_name)
    page.get_by_label("Specialities").fill("Cardiology, Internal medicine")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text(f"Practitioner “{full_name}” saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
    hours_card = page.locator(".card", has=page.locator(".card-header", has_text="Working hours"))
    expect(hours_card).to_contain_text("No working hours yet.")
    hours_card.get_by_role("link", name="Edit").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(f"Working hours · {full_name}")
    expect(page.locator("thead th")).to_have_text(["Weekday", "Location", "From", "Until", "Remove"])
    rows = page.locator("form tbody tr")
    expect(rows).to_have_count(2)  # two empty rows to fill
    # Both rows are filled here; an untouched spare row is the next test.
    for row, (weekday, starts, ends) in zip(
        (rows.nth(0), rows.nth(1)),
        [("Wednesday", "09:00", "17:30"), ("Friday", "08:00", "12:00")],
        strict=True,
    ):
        row.locator("select[name$='-weekday']").select_option(label=weekday)
        row.locator("select[name$='-location']").select_option(label=location.name)
        row.locator("input[name$='-starts']").fill(starts)
        row.locator("input[name$='-ends']").fill(ends)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Working hours saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text(full_name)
    shifts = hours_card.locator("tbody tr")
    expect(shifts).to_have_count(2)
    expect(shifts.nth(0).locator("td")).to_have_text(["Wednesday", "09:00–17:30", location.name])
    expect(shifts.nth(1).locator("td")).to_have_text(["Friday", "08:00–12:00", location.name])
    expect(page.get_by_text("Cardiology, Internal medicine")).to_be_visible()
    screenshot(page, "practitioner.png")

    nav_link(page, "Practitioners").click()
    listed = page.locator("tbody tr", has=page.get_by_role("link", name=full_name))
    expect(listed).to_contain_text(f"Wednesday 09:00–17:30 · {location.name}")
    expect(listed).to_contain_text(f"Friday 08:00–12:00 · {location.name}")


def test_an_untouched_spare_row_of_working_hours_is_ignored(page, login, make_alpha_staff, committed, unique):
    from tests.factories import LocationFactory, PractitionerFactory

    location = committed(lambda: LocationFactory(name=f"Hillside {unique}"))
    practitioner = committed(lambda: PractitionerFactory(full_name=f"Dr Ion Rusu {unique}"))
    manager = make_alpha_staff("manager")
    login(page, manager.email)

    page.goto(f"/practitioners/{practitioner.pk}/hours/")
    first = page.locator("form tbody tr").first
    first.locator("select[name$='-weekday']").select_option(label="Tuesday")
    first.locator("select[name$='-location']").select_option(label=location.name)
    first.locator("input[name$='-starts']").fill("10:00")
    first.locator("input[name$='-ends']").fill("14:00")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()

    assert page.get_by_text("This field is required.").count() == 0
    expect(page.get_by_role("alert")).to_contain_text("Working hours saved.")


def test_front_desk_sees_the_price_list_but_cannot_add_a_service(
    page, login, make_alpha_staff, committed, unique
):
    from tests.factories import ServiceFactory

    code = f"FD-{unique}".upper()
    committed(lambda: ServiceFactory(code=code, name=f"Consultation {unique}"))
    front_desk = make_alpha_staff("front_desk")
    login(page, front_desk.email)

    open_price_list(page)
    row = service_row(page, code)
    expect(row).to_contain_text(f"Consultation {unique}")
    expect(row.get_by_role("link")).to_have_count(0)  # no edit link, no history
    expect(page.get_by_role("link", name="Add a service")).to_have_count(0)
    expect(page.get_by_role("link", name="Import")).to_have_count(0)
    expect(page.get_by_role("button", name="Export to Excel")).to_have_count(0)

    response = page.goto("/services/new/")
    assert response.status == 403
    expect(page.get_by_role("heading", level=1, name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Your role does not give access to this page.")).to_be_visible()
