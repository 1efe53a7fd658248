"""Five complete catalogues, right-to-left Persian, the clinic's default language."""

import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

BASE_DIR = Path(__file__).resolve().parents[2]
LOCALES = ["en", "zh_Hans", "ru", "ro", "fa"]


@pytest.mark.parametrize("locale", LOCALES)
def test_catalogue_has_no_empty_or_fuzzy_entry(locale):
    catalogue = polib.pofile(str(BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po"))
    assert "fuzzy" not in catalogue.metadata_as_entry().flags
    problems = [
        entry.msgid
        for entry in catalogue
        if not entry.obsolete
        and ("fuzzy" in entry.flags or not (entry.msgstr or all(entry.msgstr_plural.values()) and entry.msgstr_plural))
    ]
    assert problems == []


@pytest.mark.parametrize("locale", ["zh_Hans", "ru", "ro", "fa"])
def test_catalogue_is_translated_not_copied(locale):
    catalogue = polib.pofile(str(BASE_DIR / "locale" / locale / "LC_MESSAGES" / "django.po"))
    copied = [e.msgid for e in catalogue if e.msgstr and e.msgstr == e.msgid and len(e.msgid) > 12]
    assert copied == []


def test_catalogues_cover_every_string_in_the_code(tmp_path):
    """makemessages over the code finds no msgid the shipped catalogues lack."""
    shipped = {e.msgid for e in polib.pofile(str(BASE_DIR / "locale" / "ru" / "LC_MESSAGES" / "django.po"))}
    work = tmp_path / "src"
    work.mkdir()
    sources = [str(BASE_DIR / name) for name in ("clinic", "partners", "billing", "reconciliation", "templates", "manage.py")]
    subprocess.run(["cp", "-r", *sources, str(work)], check=True)
    (work / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "ru", "--no-obsolete", "--no-location"],
        cwd=work, check=True, capture_output=True,
    )
    found = {e.msgid for e in polib.pofile(str(work / "locale" / "ru" / "LC_MESSAGES" / "django.po"))}
    assert found - shipped == set(), "run `make messages` and translate the new strings"


@pytest.mark.django_db
def test_persian_pages_are_right_to_left(tenant, client_for, manager):
    client = client_for(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fa"
    response = client.get("/services/")
    assert b'dir="rtl"' in response.content and b"bootstrap.rtl.min.css" in response.content
    assert b'lang="fa"' in response.content


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "ru", "ro", "fa"])
def test_price_list_heading_in_each_language(tenant, client_for, manager, language):
    from django.utils import translation

    with translation.override(language):
        expected = translation.gettext("Price list")
    client = client_for(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get("/services/")
    assert expected != "Price list"
    assert expected.encode() in response.content


@pytest.mark.django_db
def test_without_a_choice_the_clinics_default_language_is_used(client_for, clinic_b, in_clinic):
    from tests.factories import make_staff

    with in_clinic(clinic_b):  # Beta's default language is Simplified Chinese
        user = make_staff("manager")
        response = client_for(user, clinic_b).get("/services/")
    assert b'lang="zh-hans"' in response.content
