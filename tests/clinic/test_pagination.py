"""The one pager of every list (``{% pagination %}``): links that keep the list's other
parameters, the page's parameter and where it scrolls to, "Page n of m" in the page's language,
and "Page n" for a search that does not count its rows."""

from django.core.paginator import Paginator
from django.template import Context, Template
from django.utils import translation

from clinic.patients.views import SearchPage


def render(source: str, **context) -> str:
    return Template("{% load ui %}" + source).render(Context(context))


def test_a_django_page_keeps_the_lists_parameters_and_says_which_page_of_how_many():
    page = Paginator(list(range(120)), 50).get_page(2)
    with translation.override("en"):
        html = render('{% pagination page query param="dpage" fragment="#rows" label=label %}', page=page,
                      query="category=missing&open=1", label="Pages of differences")
    assert 'aria-label="Pages of differences"' in html
    assert 'href="?category=missing&amp;open=1&amp;dpage=1#rows"' in html  # escaped once, in the template
    assert 'href="?category=missing&amp;open=1&amp;dpage=3#rows"' in html
    assert "Page 2 of 3" in html


def test_the_first_page_has_no_previous_and_one_page_no_pager():
    first = Paginator(list(range(120)), 50).get_page(1)
    with translation.override("ro"):
        html = render("{% pagination page %}", page=first)
    assert 'href="?page=2"' in html and "?page=0" not in html and 'aria-label="Pagini"' in html
    assert render("{% pagination page %}", page=Paginator([1, 2], 50).get_page(1)).strip() == ""


def test_a_search_that_does_not_count_says_only_its_page(db):
    from clinic.patients.models import Patient

    page = SearchPage(Patient.objects.none(), 3)
    html = render("{% pagination page query %}", page=page, query="q=ana")
    assert 'href="?q=ana&amp;page=2"' in html and "Page 3<" in html and " of " not in html
