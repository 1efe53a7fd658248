"""Errors a person must see, in chromium: a failed export with its reason and Try again, and an
htmx action whose request fails (a server error, an unreachable server)."""

from __future__ import annotations

from playwright.sync_api import expect


def test_a_failed_export_says_why_and_is_tried_again(page, login, make_alpha_staff, committed, screenshot):
    from clinic.exports.models import Export

    manager = make_alpha_staff("manager")
    failed = committed(lambda: Export.objects.create(
        kind="price_list", created_by=manager, status=Export.Status.FAILED,
        error="The export was interrupted 3 times (its worker stopped). Try again."))
    login(page, manager.email)
    page.goto(f"/exports/{failed.pk}/")
    box = page.locator(f"#export-{failed.pk}")
    expect(box).to_contain_text("Price list: Failed")
    expect(box.get_by_role("alert")).to_have_text(
        "The export failed. The export was interrupted 3 times (its worker stopped). Try again.")
    expect(box).not_to_have_attribute("hx-trigger", "load delay:700ms")  # no more polling
    screenshot(page, "export-failed.png")

    box.get_by_role("button", name="Try again").click()
    again = page.locator("[id^=export-]").filter(has_text="Price list: Ready")
    expect(again.get_by_role("link", name="Download")).to_be_visible()


def test_an_htmx_action_that_fails_shows_the_error(page, login, make_alpha_staff, screenshot):
    manager = make_alpha_staff("manager")
    login(page, manager.email)
    page.goto("/services/")
    error = page.locator("#request-error")
    expect(error).to_be_hidden()

    page.route("**/exports/price_list/start/", lambda route: route.fulfill(status=500, body="Server Error"))
    page.get_by_role("button", name="Export to Excel").click()
    expect(error).to_be_visible()
    expect(error).to_contain_text("The server could not answer (error 500). What was saved stays saved")
    screenshot(page, "request-error.png")

    page.unroute("**/exports/price_list/start/")
    page.route("**/exports/price_list/start/", lambda route: route.abort())
    page.get_by_role("button", name="Export to Excel").click()
    expect(error).to_contain_text("The server could not be reached. Check the connection and try again.")
