"""Small things from the front desk's day: a favicon on every page and host."""

import pytest
from django.contrib.staticfiles import finders

pytestmark = pytest.mark.django_db


def test_pages_name_the_icon_and_favicon_ico_leads_to_it(tenant, client_for):
    client = client_for(None)
    assert 'rel="icon" href="/static/img/favicon.svg"' in client.get("/accounts/login/").content.decode()
    response = client.get("/favicon.ico")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"
    assert finders.find("img/favicon.svg")


def test_the_public_host_has_it_too(client):
    response = client.get("/favicon.ico", HTTP_HOST="localhost")
    assert response.status_code == 302 and response["Location"] == "/static/img/favicon.svg"
