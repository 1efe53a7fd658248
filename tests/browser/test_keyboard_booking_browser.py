"""Booking by keyboard alone, as a receptionist who never touches the mouse would.

From the day view: the skip link to the calendar, the arrow keys to a slot (in time order, from
one practitioner's column to the next), Enter opens the booking dialog with the focus in the
patient search, Escape closes it and the focus is back on the slot; the patient search is a
combobox (results announced, the arrow keys choose, Enter picks and the focus moves on to the
services), the services picker takes typing and Enter, Enter books, and the focus is on the new
appointment. Every key press is counted (the goal: under 15) and no mouse event happens; the
focus is checked after each step. Within a column the arrow keys walk the free slots and the
appointments together, in time order. The booking dialog gives the focus back to its slot however it
is closed (Escape, Cancel, ×), and the account statement's side panel to the name that opened it
(Escape, ×).
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

ALPHA_ZONE = ZoneInfo("Europe/Bucharest")
NO_MOUSE = (
    "for (const kind of ['mousedown', 'pointerdown', 'mouseup']) document.addEventListener(kind, e => {"
    " if (e.isTrusted) sessionStorage.setItem('mouse', String(Number(sessionStorage.getItem('mouse') || 0) + 1)); },"
    " true);"
)


@pytest.fixture
def day(committed, unique):
    """Tomorrow at a location open every day: two practitioners working 9-17, two services, and an
    existing patient (committed in clinic alpha)."""
    from decimal import Decimal

    from tests.factories import (
        LocationFactory,
        PatientFactory,
        PractitionerFactory,
        ServiceCategoryFactory,
        ServiceFactory,
        open_every_day,
    )

    def build():
        location = LocationFactory(name=f"Keyboard clinic {unique}", open_weekdays=False)
        first = PractitionerFactory(full_name=f"Dr Ana Albu {unique[:4]}")
        second = PractitionerFactory(full_name=f"Dr Boris Botnari {unique[:4]}")
        open_every_day(location, first)
        open_every_day(location, second)
        category = ServiceCategoryFactory(name=f"Keyboard {unique}")
        consultation = ServiceFactory(category=category, code=f"KC-{unique}", name=f"Keyboard consultation {unique[:4]}",
                                      duration_minutes=30, price=Decimal("400.00"))
        ServiceFactory(category=category, code=f"KE-{unique}", name=f"Keyboard ECG {unique[:4]}", duration_minutes=15)
        patient = PatientFactory(first_name="Elena", last_name=f"Tastatura-{unique[:6]}")
        return {"location": location, "first": first, "second": second, "consultation": consultation,
                "patient": patient}

    made = committed(build)
    made["day"] = datetime.now(ALPHA_ZONE).date() + timedelta(days=1)  # 09:00 tomorrow is in the future
    return made


@pytest.fixture
def day_with_an_appointment(day, committed, unique):
    """The same day, with a 30-minute consultation booked 09:30-10:00 for the first practitioner
    (another patient), committed in clinic alpha."""
    from clinic.scheduling.models import AppointmentService
    from tests.factories import AppointmentFactory, PatientFactory

    def build():
        starts = datetime.combine(day["day"], time(9, 30), tzinfo=ALPHA_ZONE)
        appointment = AppointmentFactory(
            location=day["location"], practitioner=day["first"],
            patient=PatientFactory(first_name="Radu", last_name=f"Programat-{unique[:6]}"),
            starts_at=starts, ends_at=starts + timedelta(minutes=30))
        AppointmentService.objects.create(appointment=appointment, service=day["consultation"], position=0)
        return appointment

    return {**day, "appointment": committed(build)}


class Keys:
    """The keyboard, counting: presses of keys, and characters typed apart."""

    def __init__(self, page):
        self.page, self.presses, self.typed, self.log = page, 0, 0, []

    def press(self, key: str) -> None:
        self.page.keyboard.press(key)
        self.presses += 1
        self.log.append(key)

    def type(self, text: str) -> None:
        self.page.keyboard.type(text)
        self.typed += len(text)
        self.log.append(repr(text))


def focused(page) -> dict:
    return page.evaluate(
        """() => { const e = document.activeElement;
                   return {tag: e.tagName, id: e.id, time: e.dataset.time || "", appointment: e.dataset.appointment || "",
                           practitioner: (e.closest(".calendar-column") || {dataset: {}}).dataset.practitioner || "",
                           role: e.getAttribute("role") || "", label: e.getAttribute("aria-label") || "",
                           text: e.textContent.trim(), inDialog: !!e.closest("#dialog")}; }"""
    )


def test_a_receptionist_books_an_existing_patient_by_keyboard_alone(
    page, login, make_alpha_staff, day, committed, axe, screenshot
):
    from clinic.scheduling.models import Appointment

    login(page, make_alpha_staff("front_desk").email)  # the login is not part of the booking
    location, first, second, patient = day["location"], day["first"], day["second"], day["patient"]
    page.context.add_init_script(NO_MOUSE)
    page.goto(f"/calendar/?location={location.pk}&date={day['day'].isoformat()}")
    page.evaluate("() => sessionStorage.setItem('mouse', '0')")
    keys = Keys(page)

    # The skip links come first: the main content, then the calendar.
    keys.press("Tab")
    assert focused(page)["text"] == "Skip to the main content"
    keys.press("Tab")
    assert focused(page)["text"] == "Skip to the calendar"
    keys.press("Enter")
    now = focused(page)
    assert (now["practitioner"], now["time"]) == (str(first.pk), "09:00")  # the first free slot of the day
    # The focused slot is plainly marked and shows its time (not only on mouse hover).
    look = page.evaluate(
        """() => { const e = document.activeElement, s = getComputedStyle(e);
                   return {outline: s.outlineStyle + " " + parseFloat(s.outlineWidth),
                           after: getComputedStyle(e, "::after").content}; }"""
    )
    assert look["outline"].startswith("solid") and float(look["outline"].split()[1]) >= 2, look
    assert look["after"] == '"09:00"', look
    axe(page)
    screenshot(page, "keyboard-day-view-focus.png")

    keys.press("ArrowDown")  # the next time in the column
    assert (focused(page)["practitioner"], focused(page)["time"]) == (str(first.pk), "09:15")
    keys.press("ArrowRight")  # the next practitioner, at the same time
    now = focused(page)
    assert (now["practitioner"], now["time"]) == (str(second.pk), "09:15")
    assert now["label"] == f"Book {second.full_name} at 09:15"

    # Enter opens the booking dialog, the focus in the patient search; Escape closes it, back on the slot.
    keys.press("Enter")
    dialog = page.get_by_role("dialog", name="Book an appointment")
    expect(dialog).to_be_visible()
    search = dialog.get_by_role("combobox", name="Find the patient")
    expect(search).to_be_focused()
    keys.press("Escape")
    expect(dialog).to_be_hidden()
    now = focused(page)
    assert (now["practitioner"], now["time"]) == (str(second.pk), "09:15"), now
    keys.press("Enter")
    expect(dialog).to_be_visible()
    expect(search).to_be_focused()

    # The patient search: results announced, arrows choose, Enter picks and the focus moves on.
    keys.type(patient.last_name[:12].lower())
    option = dialog.get_by_role("option", name=re.compile(re.escape(patient.full_name)))
    expect(option).to_have_count(1)
    expect(search).to_have_attribute("aria-expanded", "true")
    expect(search).to_have_attribute("aria-controls", "patient-pick-results")
    expect(dialog.get_by_role("status")).to_have_text(re.compile(r"1 patient found"))
    keys.press("ArrowDown")
    expect(search).to_have_attribute("aria-activedescendant", f"patient-option-{patient.pk}")
    expect(option).to_have_attribute("aria-selected", "true")
    expect(search).to_be_focused()
    screenshot(page, "keyboard-patient-search.png")
    keys.press("Enter")
    expect(dialog.locator("#picked-patient")).to_have_text(f"{patient.full_name} ({patient.number})")
    expect(search).to_have_attribute("aria-expanded", "false")
    services = dialog.get_by_role("combobox", name="Services")
    expect(services).to_be_focused()
    assert focused(page)["inDialog"]

    # The services: type, Enter adds the one found; Enter again books.
    keys.type("consul")
    expect(dialog.get_by_role("listbox", name="Services").get_by_role("option", name=re.compile(f"{day['consultation'].name} · 30 min"))).to_be_visible()
    expect(dialog.get_by_role("listbox", name="Services").get_by_role("option")).to_have_count(1)  # only what matches
    axe(page)
    keys.press("Enter")
    expect(dialog.locator(".ts-control .item")).to_have_text([re.compile(day["consultation"].name)])
    expect(services).to_be_focused()
    keys.press("Enter")

    expect(page.get_by_role("alert")).to_contain_text(f"Booked {patient.full_name} with {second.full_name}")
    booked = committed(lambda: list(Appointment.objects.filter(patient_id=patient.pk)
                                    .values("pk", "practitioner_id", "starts_at")))
    assert len(booked) == 1
    assert booked[0]["practitioner_id"] == second.pk
    assert booked[0]["starts_at"] == datetime.combine(day["day"], time(9, 15), tzinfo=ALPHA_ZONE)
    expect(page.locator(f'[data-appointment="{booked[0]["pk"]}"]')).to_be_focused()  # on the new appointment
    assert committed(lambda: list(Appointment.objects.get(pk=booked[0]["pk"]).services.values_list("pk", flat=True))) \
        == [day["consultation"].pk]

    assert page.evaluate("() => Number(sessionStorage.getItem('mouse'))") == 0  # no mouse at all
    print(f"keyboard-only booking: {keys.presses} key presses ({keys.presses - 2} without the Escape detour) "
          f"and {keys.typed} characters typed: {' '.join(keys.log)}")
    assert keys.presses < 15, keys.log


def test_the_arrow_keys_walk_free_slots_and_appointments_together_in_time_order(
    page, login, make_alpha_staff, day_with_an_appointment, axe
):
    """09:30-10:00 is booked for the first practitioner: in that column ArrowDown goes 09:00, 09:15, the
    appointment, 10:00 (the next free slot after it) and ArrowUp comes back the same way; Home and End
    reach the first and the last stop; the column's one Tab stop follows the arrow keys, also onto an
    appointment; sideways, the arrow keys go to (and come back from) the stop at the same time."""
    day = day_with_an_appointment
    first, second, appointment = day["first"], day["second"], day["appointment"]
    login(page, make_alpha_staff("front_desk").email)
    page.context.add_init_script(NO_MOUSE)
    page.goto(f"/calendar/?location={day['location'].pk}&date={day['day'].isoformat()}")
    page.evaluate("() => sessionStorage.setItem('mouse', '0')")
    column = page.locator(f'.calendar-column[data-practitioner="{first.pk}"]')
    booked = column.locator(f'[data-appointment="{appointment.pk}"]')
    expect(booked).to_contain_text(appointment.patient.full_name)
    keys = Keys(page)

    def at() -> tuple[str, str]:
        now = focused(page)
        return now["practitioner"], (f"appointment {now['appointment']}" if now["appointment"] else now["time"])

    def walk(key: str, expected: tuple[str, str]) -> None:
        keys.press(key)
        assert at() == expected, (keys.log, at())

    mine, theirs = str(first.pk), str(second.pk)
    the_appointment = (mine, f"appointment {appointment.pk}")
    keys.press("Tab")
    keys.press("Tab")
    keys.press("Enter")  # "Skip to the calendar": the first free slot of the first column
    assert at() == (mine, "09:00")
    walk("ArrowDown", (mine, "09:15"))
    walk("ArrowDown", the_appointment)  # 09:30: the appointment, between the free slots
    expect(booked).to_have_attribute("tabindex", "0")  # the column's Tab stop moved with it
    assert page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle") == "solid"
    axe(page)
    walk("ArrowDown", (mine, "10:00"))  # the next free slot: the appointment takes 09:30-10:00
    walk("ArrowUp", the_appointment)
    walk("ArrowUp", (mine, "09:15"))
    walk("ArrowUp", (mine, "09:00"))
    walk("ArrowUp", (mine, "09:00"))  # the first stop stays put
    walk("End", (mine, "16:45"))  # the last free slot of the day (work ends at 17:00)
    walk("Home", (mine, "09:00"))

    # Sideways at the appointment's time: the other practitioner's free 09:30, and back onto the appointment.
    walk("ArrowDown", (mine, "09:15"))
    walk("ArrowDown", the_appointment)
    walk("ArrowRight", (theirs, "09:30"))
    walk("ArrowLeft", the_appointment)
    # Tab leaves the column from where the arrows left it, and Shift+Tab comes back there.
    walk("Tab", (theirs, "09:30"))
    walk("Shift+Tab", the_appointment)
    assert page.evaluate("() => Number(sessionStorage.getItem('mouse'))") == 0


def test_a_name_typed_before_the_dialog_is_ready_is_searched(page, login, make_alpha_staff, day):
    """The focus is in the patient search as soon as the dialog shows, before htmx has processed its
    content (under load that can take a while): a name typed at once is searched when htmx listens.
    htmx's settle is slowed down here so that the whole name is typed in between, every time."""
    login(page, make_alpha_staff("front_desk").email)
    location, second, patient = day["location"], day["second"], day["patient"]
    page.goto(f"/calendar/?location={location.pk}&date={day['day'].isoformat()}")
    page.wait_for_load_state("load")
    page.evaluate("() => { htmx.config.defaultSettleDelay = 1500; }")
    slot = page.locator(f'.calendar-column[data-practitioner="{second.pk}"] [data-time="09:15"]')
    slot.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Book an appointment")
    search = dialog.get_by_role("combobox", name="Find the patient")
    expect(search).to_be_focused()
    page.keyboard.type(patient.last_name[:12].lower())
    assert page.evaluate("() => !document.querySelector('#patient-query')['htmx-internal-data']"), \
        "htmx listened before the name was typed: the test did not make the race it is about"
    option = dialog.get_by_role("option", name=re.compile(re.escape(patient.full_name)))
    expect(option).to_have_count(1)
    expect(search).to_have_attribute("aria-expanded", "true")


def test_the_account_statement_panel_gives_the_focus_back_to_the_name_that_opened_it(
    page, login, make_alpha_staff, day, axe
):
    login(page, make_alpha_staff("front_desk").email)
    page.goto(f"/patients/?q={day['patient'].last_name}")
    name = page.locator("#patient-table").get_by_role("link", name=day["patient"].full_name, exact=True)
    name.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#side-panel")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(day["patient"].full_name)
    expect(panel.locator("#side-panel-title")).to_be_focused()  # the focus went into the panel, on its title
    axe(page)
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(name).to_be_focused()


def open_the_booking_dialog(page, day):
    """The day view, the focus on the second practitioner's 09:15 by keyboard, Enter: the booking
    dialog, the focus in the patient search. Returns the slot and the dialog."""
    page.context.add_init_script(NO_MOUSE)
    page.goto(f"/calendar/?location={day['location'].pk}&date={day['day'].isoformat()}")
    page.evaluate("() => sessionStorage.setItem('mouse', '0')")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Skip to the calendar": the first practitioner's 09:00
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowDown")
    slot = page.locator(f'.calendar-column[data-practitioner="{day["second"].pk}"] .slot-free[data-time="09:15"]')
    expect(slot).to_be_focused()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Book an appointment")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("combobox", name="Find the patient")).to_be_focused()
    page.wait_for_load_state("networkidle")  # htmx has processed the dialog's content
    return slot, dialog


def test_the_booking_dialog_closed_with_its_cancel_button_gives_the_focus_back_to_the_slot(
    page, login, make_alpha_staff, day, axe
):
    """Shift+Tab from the patient search goes back past the dialog's first control and wraps round to
    its last (Book), then to Cancel: Enter there closes the dialog and the focus is on the slot."""
    login(page, make_alpha_staff("front_desk").email)
    slot, dialog = open_the_booking_dialog(page, day)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Close", exact=True)).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Book", exact=True)).to_be_focused()  # the dialog keeps the focus in
    page.keyboard.press("Shift+Tab")
    cancel = dialog.get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()
    axe(page)
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(slot).to_be_focused()
    assert page.evaluate("() => Number(sessionStorage.getItem('mouse'))") == 0
    # The focus is where it was: the arrow keys go on from the slot.
    page.keyboard.press("ArrowDown")
    expect(page.locator(f'.calendar-column[data-practitioner="{day["second"].pk}"] .slot-free[data-time="09:30"]')) \
        .to_be_focused()


def test_the_booking_dialog_closed_with_its_close_button_gives_the_focus_back_to_the_slot(
    page, login, make_alpha_staff, day
):
    """Shift+Tab from the patient search reaches the × in the dialog's header; Space closes the dialog
    and the focus is on the slot."""
    login(page, make_alpha_staff("front_desk").email)
    slot, dialog = open_the_booking_dialog(page, day)
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Close", exact=True)).to_be_focused()
    page.keyboard.press("Space")
    expect(dialog).to_be_hidden()
    expect(slot).to_be_focused()
    assert page.evaluate("() => Number(sessionStorage.getItem('mouse'))") == 0
    # Opened again from the same slot, closed again: the focus comes back again.
    page.keyboard.press("Enter")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("combobox", name="Find the patient")).to_be_focused()
    page.wait_for_load_state("networkidle")  # htmx has processed the dialog's content, as the first time
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name="Close", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    expect(slot).to_be_focused()


def test_the_focus_moved_before_the_dialog_settles_stays_where_it_was(page, login, make_alpha_staff, day):
    """htmx focuses an [autofocus] field when it settles the content it swapped in: on a busy machine
    that is well after the dialog shows, and it took the focus back to the patient search from the ×
    the receptionist had already reached with Shift+Tab. htmx's settle is slowed down here so that the
    key is pressed before it, every time."""
    login(page, make_alpha_staff("front_desk").email)
    page.goto(f"/calendar/?location={day['location'].pk}&date={day['day'].isoformat()}")
    page.wait_for_load_state("load")
    page.evaluate("() => { htmx.config.defaultSettleDelay = 1500; }")
    page.locator(f'.calendar-column[data-practitioner="{day["second"].pk}"] [data-time="09:15"]').focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Book an appointment")
    expect(dialog.get_by_role("combobox", name="Find the patient")).to_be_focused()
    page.keyboard.press("Shift+Tab")
    close = dialog.get_by_role("button", name="Close", exact=True)
    expect(close).to_be_focused()
    assert page.evaluate("() => !document.querySelector('#patient-query')['htmx-internal-data']"), \
        "htmx settled before the key was pressed: the test did not make the race it is about"
    page.wait_for_function("() => !!document.querySelector('#patient-query')['htmx-internal-data']")
    page.wait_for_timeout(100)  # whatever htmx does when it settles is done
    expect(close).to_be_focused()


def test_a_refused_booking_puts_the_focus_on_its_first_error(page, login, make_alpha_staff, day):
    """Book with neither a patient nor a service: the dialog comes back with its errors, and the focus
    is on the first of them once htmx has settled (it went back to the patient search)."""
    login(page, make_alpha_staff("front_desk").email)
    slot, dialog = open_the_booking_dialog(page, day)
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    book = dialog.get_by_role("button", name="Book", exact=True)
    expect(book).to_be_focused()
    page.keyboard.press("Enter")
    first_error = dialog.locator(".is-invalid, .alert-danger[tabindex]").first
    expect(first_error).to_be_visible()
    page.wait_for_function("() => !!document.querySelector('#patient-query')['htmx-internal-data']")
    page.wait_for_timeout(100)
    on_first_error = ("() => document.activeElement === document.querySelector('#dialog-content').querySelector("
                      "'.is-invalid, .alert-danger[tabindex]')")
    assert page.evaluate(on_first_error), page.evaluate("() => document.activeElement.outerHTML")
    expect(dialog.get_by_role("combobox", name="Find the patient")).not_to_be_focused()

    # Enter in a field that has an id: htmx gives the focus back to the field of that id in the
    # dialog drawn again; the first error takes it all the same.
    phone = dialog.locator("#id_phone")
    phone.focus()
    page.keyboard.type("067")
    page.keyboard.press("Enter")
    expect(phone).to_have_value("067")  # drawn again, with what was typed
    page.wait_for_function("() => !!document.querySelector('#patient-query')['htmx-internal-data']")
    page.wait_for_timeout(100)
    assert page.evaluate(on_first_error), page.evaluate("() => document.activeElement.outerHTML")
    expect(phone).not_to_be_focused()


def test_the_account_statement_panel_closed_with_its_close_button_gives_the_focus_back_to_the_name(
    page, login, make_alpha_staff, day
):
    """From the panel's title, Tab goes to the patient page's link and then to the panel's ×; Enter
    closes the panel and the focus is on the name that opened it."""
    login(page, make_alpha_staff("front_desk").email)
    page.context.add_init_script(NO_MOUSE)
    page.goto(f"/patients/?q={day['patient'].last_name}")
    page.evaluate("() => sessionStorage.setItem('mouse', '0')")
    name = page.locator("#patient-table").get_by_role("link", name=day["patient"].full_name, exact=True)
    name.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#side-panel")
    expect(panel.get_by_role("heading", level=2)).to_contain_text(day["patient"].full_name)
    expect(panel.locator("#side-panel-title")).to_be_focused()
    page.keyboard.press("Tab")
    expect(panel.get_by_role("link", name="Patient page")).to_be_focused()
    page.keyboard.press("Tab")
    close = panel.get_by_role("button", name="Close", exact=True)
    expect(close).to_be_focused()
    page.keyboard.press("Enter")
    expect(panel).to_be_hidden()
    expect(name).to_be_focused()
    assert page.evaluate("() => Number(sessionStorage.getItem('mouse'))") == 0


def test_the_service_picker_works_in_persian_right_to_left_on_a_phone(browser, alpha_url, make_alpha_staff, day,
                                                                       screenshot):
    """The same dialog at 375 px in Persian: the picker reads right to left and takes a tap, typing and Enter."""
    from tests.browser.conftest import STAFF_PASSWORD, check_accessibility

    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=alpha_url, has_touch=True,
                                  is_mobile=True)
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")  # at 375 px the menu is folded: the login lands on Today
        page.get_by_label("Email address").fill(make_alpha_staff("front_desk").email)
        page.get_by_label("Password").fill(STAFF_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Today")
        page.goto(f"/calendar/?location={day['location'].pk}&date={day['day'].isoformat()}")
        page.get_by_role("button", name="Menu").tap()  # the folded top bar holds the language
        page.locator("#language-select").select_option("fa")
        expect(page.locator("html")).to_have_attribute("dir", "rtl")
        slot = page.locator(f'.calendar-column[data-practitioner="{day["first"].pk}"] .slot-free[data-time="10:00"]')
        slot.scroll_into_view_if_needed()
        slot.tap()
        dialog = page.locator("#dialog")
        search = dialog.get_by_role("combobox", name="یافتن بیمار")
        expect(search).to_be_focused()
        page.wait_for_load_state("networkidle")  # the dialog's content is in before anything is typed
        query = day["patient"].last_name[:12].lower()
        page.keyboard.type(query)
        expect(search).to_have_value(query)  # typed into the dialog that stays, not one being replaced
        dialog.get_by_role("option", name=re.compile(re.escape(day["patient"].full_name))).tap()
        services = dialog.locator(".ts-wrapper")
        expect(services).to_have_class(re.compile(r"\brtl\b"))  # Tom Select follows the page's direction
        expect(dialog.locator(".ts-control input")).to_be_focused()
        page.keyboard.type("consul")
        expect(dialog.locator(".ts-dropdown [role=option]")).to_have_count(1)
        page.keyboard.press("Enter")
        expect(dialog.locator(".ts-control .item")).to_have_text([re.compile(day["consultation"].name)])
        check_accessibility(page, what="the booking dialog in Persian at 375 px")
        screenshot(page, "booking-dialog-fa-phone.png")
        box = dialog.locator(".modal-content").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375  # no sideways scrolling
    finally:
        context.close()


def test_in_persian_the_arrow_keys_follow_the_right_to_left_calendar(page, login, make_alpha_staff, day):
    """In RTL the next practitioner's column is on the left: ArrowLeft goes there, ArrowRight comes back."""
    login(page, make_alpha_staff("front_desk").email)
    page.goto(f"/calendar/?location={day['location'].pk}&date={day['day'].isoformat()}")
    page.locator("#language-select").select_option("fa")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    first = page.locator(f'.calendar-column[data-practitioner="{day["first"].pk}"]')
    second = page.locator(f'.calendar-column[data-practitioner="{day["second"].pk}"]')
    assert second.bounding_box()["x"] < first.bounding_box()["x"]  # drawn right to left
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")  # "Skip to the calendar", in Persian
    expect(first.locator('.slot-free[data-time="09:00"]')).to_be_focused()
    page.keyboard.press("ArrowLeft")
    expect(second.locator('.slot-free[data-time="09:00"]')).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(first.locator('.slot-free[data-time="09:00"]')).to_be_focused()
    page.keyboard.press("End")
    expect(first.locator(".calendar-stop").last).to_be_focused()
