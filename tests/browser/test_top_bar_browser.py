"""The top bar fits (issue 15): at 1280 px in all five languages for every role, the whole
bar is on the screen (Log out and the user menu reachable, the language selector showing its
language); at 375 px the menu collapses behind the toggler and still leads everywhere.
Screenshots in ru and fa at both widths."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import log_in

pytestmark = pytest.mark.browser

ROLES = ["manager", "front_desk", "doctor", "marketing", "sales_head", "finance"]
LANGUAGES = ["en", "ru", "ro", "zh-hans", "fa"]
LANGUAGE_NAMES = {"en": "English", "ru": "Русский", "ro": "Română", "zh-hans": "简体中文", "fa": "فارسی"}


def use_language(page, alpha_url, language):
    host = alpha_url.split("//", 1)[1].split(":")[0]
    page.context.add_cookies([{"name": "django_language", "value": language, "domain": host, "path": "/"}])


def bar_overflow(page) -> dict:
    """What of the bar sticks out of the window (nothing, when it fits)."""
    return page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const out = [];
        for (const el of document.querySelectorAll('nav.navbar .navbar-brand, nav.navbar .nav-link, #language-select, nav.navbar .user-menu')) {
            const box = el.getBoundingClientRect();
            if (box.width && (box.left < -0.5 || box.right > width + 0.5 || box.top > 80)) out.push(el.textContent.trim() || el.id);
        }
        return {out, scroll: document.documentElement.scrollWidth > width};
    }""")


def test_the_bar_fits_at_1280_in_every_language_for_every_role(page, alpha_url, make_alpha_staff, screenshot):
    for role in ROLES:
        user = make_alpha_staff(role)
        page.context.clear_cookies()
        log_in(page, user.email)
        for language in LANGUAGES:
            use_language(page, alpha_url, language)
            page.goto("/")
            overflow = bar_overflow(page)
            assert overflow == {"out": [], "scroll": False}, (role, language, overflow)
            expect(page.locator("#language-select option:checked")).to_have_text(LANGUAGE_NAMES[language])
            expect(page.locator("nav.navbar .user-menu")).to_be_visible()
            expect(page.locator(".navbar-toggler")).to_be_hidden()  # the whole bar, no hamburger
            if role == "manager" and language in ("ru", "fa"):
                screenshot(page, f"top-bar-1280-{language}.png")


@pytest.mark.parametrize("language", ["ru", "fa"])
def test_the_bar_groups_the_rest_and_logs_out_at_1280(page, alpha_url, make_alpha_staff, language):
    user = make_alpha_staff("manager")
    log_in(page, user.email)
    use_language(page, alpha_url, language)
    page.goto("/")
    groups = page.locator("#main-nav [data-nav-group]")
    expect(groups).to_have_count(2)
    groups.first.locator(".dropdown-toggle").click()
    expect(groups.first.locator(".dropdown-menu")).to_be_visible()
    # reports, promotions, barter, partners, value-added services, reconciliation, importing platform
    # orders, settlement
    expect(groups.first.locator(".dropdown-item")).to_have_count(8)
    groups.first.locator(".dropdown-item").first.click()
    expect(page).to_have_url(re.compile(r"/reports/"))
    expect(groups.first.locator(".dropdown-toggle")).to_have_class(re.compile(r"\bactive\b"))  # its section
    page.locator("nav.navbar .user-menu").click()
    page.locator("nav.navbar .dropdown-menu-end button.dropdown-item").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


@pytest.mark.parametrize("language", ["ru", "fa"])
def test_the_bar_works_at_375(page, alpha_url, make_alpha_staff, language, screenshot):
    user = make_alpha_staff("manager")
    log_in(page, user.email)
    page.set_viewport_size({"width": 375, "height": 800})
    use_language(page, alpha_url, language)
    page.goto("/")
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    toggler = page.locator(".navbar-toggler")
    expect(toggler).to_be_visible()
    expect(page.locator("#main-nav")).to_be_hidden()
    toggler.click()
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page.locator("#language-select option:checked")).to_have_text(LANGUAGE_NAMES[language])
    group = page.locator("#main-nav [data-nav-group=clinic]")
    group.locator(".dropdown-toggle").click()
    expect(group.locator(".dropdown-item").first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    screenshot(page, f"top-bar-375-{language}.png")
    page.locator("nav.navbar .user-menu").click()
    logout = page.locator("nav.navbar .dropdown-menu-end button.dropdown-item")
    expect(logout).to_be_visible()
    box = logout.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375
