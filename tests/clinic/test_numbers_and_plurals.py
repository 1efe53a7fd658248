"""Counts read in the language's plurals and numbers in its format, wherever the code writes a message
(not only in templates): "1 row" not "1 rows", "1.500,00 EUR" on a Romanian page, the server error
page in the reader's language."""

from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import translation

pytestmark = pytest.mark.django_db


def test_the_messages_that_count_say_one_in_the_singular():
    from clinic.exports.building import _interrupted_message as export_interrupted
    from reconciliation.history import import_counts
    from reconciliation.statements import ImportRefused
    from reconciliation.statements import _interrupted_message as generation_interrupted

    class Read:
        problems = [object()]

    with translation.override("en"):
        assert export_interrupted(1) == "The export was interrupted 1 time (its worker stopped). Try again."
        assert generation_interrupted(3).startswith("The generation was interrupted 3 times")
        assert str(ImportRefused(Read()).message) == "1 row could not be read; nothing was saved."
        assert import_counts(1, 2) == "1 row, 2 differences"
        assert import_counts(1_234, 1) == "1,234 rows, 1 difference"
    with translation.override("ru"):
        assert import_counts(2, 5) == "2 строки, 5 расхождений"
        assert export_interrupted(2).startswith("Экспорт прерывался 2 раза")


def test_the_add_line_form_shows_each_price_in_the_languages_money_format(tenant):
    from billing.forms import LineForm
    from billing.services import open_visit
    from tests.factories import LocationFactory, PatientFactory, ServiceFactory, make_staff

    service = ServiceFactory(code="IMP", name="Implant", price=Decimal("1500.00"))
    visit = open_visit(patient=PatientFactory(), location=LocationFactory(), actor=make_staff("front_desk"))
    with translation.override("ro"):
        form = LineForm(visit=visit)
        label = form.fields["service"].label_from_instance(service)
    assert label == f"IMP · Implant · 1.500,00 {tenant.currency}"


def test_a_statement_file_too_long_says_its_limit_in_the_languages_numbers(monkeypatch):
    from reconciliation import statement_files

    monkeypatch.setattr(statement_files, "MAX_ROWS", 1_000)
    content = "\n".join(["order,amount"] + [f"A-{n},10" for n in range(1_100)]).encode()
    with translation.override("ro"), pytest.raises(statement_files.StatementUnreadable) as refused:
        statement_files.read_statement("big.csv", content)
    assert "1.000" in str(refused.value.message)


def test_the_server_error_page_is_in_the_readers_language_and_direction():
    with translation.override("ru"):
        page = render_to_string("500.html")
    assert 'lang="ru"' in page and "Что-то пошло не так" in page
    with translation.override("fa"):
        assert 'dir="rtl"' in render_to_string("500.html")
