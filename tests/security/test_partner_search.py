"""Issue 16, defect 5: a partner's patient search needs three letters in one word (``a a``
and ``I o`` list nobody) and is rate-limited per partner user, with a clear message."""

import pytest
from django.core.cache import cache
from django.urls import reverse as django_reverse

from partners.models import PatientSearch
from tests.factories import PatientFactory
from tests.partners.conftest import add_partner, portal, world  # noqa: F401 - the partner fixtures

pytestmark = pytest.mark.django_db


def searches(clinic):
    """The logged searches, read in the clinic's schema (a portal request ends in public)."""
    from django.db import connection

    connection.set_tenant(clinic)
    return PatientSearch.objects.all()


def reverse(name):
    return django_reverse(name, urlconf="config.urls_public")


@pytest.fixture
def searcher(world, add_partner, portal):  # noqa: F811
    cache.clear()
    for n in range(12):
        PatientFactory(first_name=f"Ana{n}", last_name="Olaru")
    _partnership, member = add_partner(access=True)
    yield portal(member.user)
    cache.clear()


@pytest.mark.parametrize("query", ["a a", "I o", "a a a a", "ab cd", "a  1234", "Io 1980"])
def test_words_shorter_than_three_letters_find_nobody_and_are_logged_as_such(searcher, query, clinic_a):
    page = searcher.get(reverse("portal_patient_search"), {"clinic": "alpha", "q": query}).content.decode()
    assert "Type at least 3 letters of one word of the name." in page
    assert 'name="patient"' not in page
    assert list(searches(clinic_a).values_list("query", "results")) == [(query, 0)]


def test_a_word_of_three_letters_searches_and_is_logged(searcher, clinic_a):
    page = searcher.get(reverse("portal_patient_search"), {"clinic": "alpha", "q": "ola a"}).content.decode()
    assert page.count('name="patient"') == 10
    assert searches(clinic_a).get().query == "ola a"


def test_searches_are_rate_limited_per_partner_user(searcher, settings, clinic_a):
    settings.PARTNER_SEARCH_RATE = 5
    url = reverse("portal_patient_search")
    for _ in range(5):
        assert 'name="patient"' in searcher.get(url, {"clinic": "alpha", "q": "Olaru"}).content.decode()
    page = searcher.get(url, {"clinic": "alpha", "q": "Olaru"}).content.decode()
    assert "Too many searches: wait a minute, then search again." in page
    assert 'name="patient"' not in page
    logged = list(searches(clinic_a).order_by("pk").values_list("results", "refused"))
    assert logged == [(10, False)] * 5 + [(0, True)]  # the refused search is logged too
