"""Money and bookings accept a request once: the same POST twice, or at once from threads, records one thing."""

import threading
import uuid
from decimal import Decimal

import pytest
from django.db import connections
from django.test import Client
from django_tenants.utils import tenant_context

HTMX = {"HTTP_HX_REQUEST": "true"}
THREADS = 8


def key() -> str:
    return str(uuid.uuid4())


# --- one after the other (rolled-back tests) ---------------------------------------------------


@pytest.fixture
def visit(desk):
    from billing.services import add_line, open_visit

    visit = open_visit(patient=desk["patient"], location=desk["location"], practitioner=desk["practitioner"],
                       actor=desk["cashier"])
    add_line(visit, service=desk["filling"], actor=desk["cashier"])  # 250.00 due
    return visit


def test_each_money_form_is_issued_with_a_fresh_key(desk, visit, client_for):
    client = client_for(desk["manager"])
    first = client.get(f"/patients/{desk['patient'].pk}/cashier/", **HTMX).content.decode()
    second = client.get(f"/patients/{desk['patient'].pk}/cashier/", **HTMX).content.decode()
    assert 'name="idempotency_key"' in first
    assert first.split('name="idempotency_key" value="')[1][:36] != second.split('name="idempotency_key" value="')[1][:36]
    assert 'name="idempotency_key"' in client.get(f"/patients/{desk['patient'].pk}/deposits/new/", **HTMX).content.decode()


def test_a_repeated_cashier_post_returns_the_first_answer_and_records_nothing(desk, visit, client_for):
    from billing import ledger
    from billing.models import Payment

    client = client_for(desk["cashier"])
    data = {"visit": visit.pk, "method": "cash", "amount": "100", "idempotency_key": key()}
    first = client.post(f"/patients/{desk['patient'].pk}/cashier/", data, **HTMX)
    again = client.post(f"/patients/{desk['patient'].pk}/cashier/", data, **HTMX)
    assert first.status_code == again.status_code == 200
    assert again.content == first.content and again["HX-Retarget"] == "#statement"
    assert again["Idempotent-Replayed"] == "true"
    assert Payment.objects.count() == 1 and ledger.balance(desk["patient"]) == Decimal("150.00")
    # A new form (a new key) is a new payment.
    client.post(f"/patients/{desk['patient'].pk}/cashier/", data | {"idempotency_key": key()}, **HTMX)
    assert Payment.objects.count() == 2


def test_a_repeated_deposit_and_refund_record_one_each(desk, visit, client_for):
    from billing import ledger
    from billing.models import Deposit

    client = client_for(desk["manager"])
    data = {"amount": "300", "method": "transfer", "note": "Implant", "idempotency_key": key()}
    for _twice in range(2):
        assert client.post(f"/patients/{desk['patient'].pk}/deposits/new/", data, **HTMX).status_code == 200
    deposit = Deposit.objects.get()
    refund = {"amount": "100", "reason": "moving", "idempotency_key": key()}
    for _twice in range(2):
        assert client.post(f"/deposits/{deposit.pk}/refund/", refund, **HTMX).status_code == 200
    assert ledger.deposit_remaining(deposit) == Decimal("200.00")


def test_a_key_used_on_another_form_is_refused(desk, visit, client_for):
    from billing.models import Deposit

    client = client_for(desk["manager"])
    used = key()
    client.post(f"/patients/{desk['patient'].pk}/cashier/",
                {"visit": visit.pk, "method": "cash", "amount": "10", "idempotency_key": used}, **HTMX)
    response = client.post(f"/patients/{desk['patient'].pk}/deposits/new/",
                           {"amount": "300", "method": "cash", "idempotency_key": used}, **HTMX)
    assert response.status_code == 400 and Deposit.objects.count() == 0


def test_a_repeated_booking_shows_one_message(clinic_day, front_desk, client_for):
    from clinic.scheduling.models import Appointment

    day = clinic_day
    client = client_for(front_desk)
    data = {"location": day["location"].pk, "practitioner": day["practitioner"].pk,
            "starts_at": f"{day['monday'].isoformat()}T09:30", "patient": day["patient"].pk,
            "services": [day["service"].pk], "source": "walk_in", "note": "", "idempotency_key": key()}
    first = client.post("/appointments/new/", data, **HTMX)
    again = client.post("/appointments/new/", data, **HTMX)
    assert first.status_code == again.status_code == 204 and again["HX-Redirect"] == first["HX-Redirect"]
    assert Appointment.objects.count() == 1
    page = client.get(first["HX-Redirect"]).content.decode()
    assert page.count("Booked ") == 1 and "This time was just taken" not in page


# --- at once, from threads (committed data, a connection each) -----------------------------------


def logged_in(clinic, user, django_db_blocker) -> dict:
    with django_db_blocker.unblock(), tenant_context(clinic):
        client = Client(HTTP_HOST=clinic.primary_domain)
        client.force_login(user)
    return {"host": client.defaults["HTTP_HOST"], **{name: morsel.value for name, morsel in client.cookies.items()}}


def post_at_once(clinic, cookies, django_db_blocker, path, data, threads=THREADS) -> list:
    cookies = dict(cookies)
    host = cookies.pop("host")
    barrier = threading.Barrier(threads)
    responses, lock = [], threading.Lock()

    def attempt():
        client = Client(HTTP_HOST=host)
        for name, value in cookies.items():
            client.cookies[name] = value
        try:
            with django_db_blocker.unblock():
                barrier.wait(timeout=30)
                response = client.post(path, data, **HTMX)
        except Exception as error:  # noqa: BLE001 - reported in the assertions
            response = error
        finally:
            connections.close_all()
        with lock:
            responses.append(response)

    workers = [threading.Thread(target=attempt) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    return responses


def replays(responses) -> int:
    return sum(1 for response in responses if response.get("Idempotent-Replayed") == "true")


def test_the_same_cashier_and_deposit_posts_at_once_record_one_each(committed_visit, clinic_a,
                                                                      django_db_blocker):
    from billing import ledger
    from billing.models import Deposit, Payment

    data = committed_visit
    cookies = logged_in(clinic_a, data["cashier"], django_db_blocker)
    responses = post_at_once(clinic_a, cookies, django_db_blocker, f"/patients/{data['patient'].pk}/cashier/",
                             {"visit": data["visit"].pk, "method": "cash", "amount": "100", "idempotency_key": key()})
    assert [getattr(r, "status_code", r) for r in responses] == [200] * THREADS
    assert replays(responses) == THREADS - 1
    responses = post_at_once(clinic_a, cookies, django_db_blocker, f"/patients/{data['patient'].pk}/deposits/new/",
                             {"amount": "40", "method": "cash", "note": "", "idempotency_key": key()})
    assert [getattr(r, "status_code", r) for r in responses] == [200] * THREADS
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        assert Payment.objects.filter(patient=data["patient"]).count() == 1
        assert ledger.balance(data["patient"]) == Decimal("150.00")
        assert Deposit.objects.filter(patient=data["patient"]).count() == 2  # the fixture's, and one


def test_the_same_booking_posted_at_once_books_once(committed_slot, clinic_a, django_db_blocker):
    from clinic.scheduling.models import Appointment

    data = committed_slot
    cookies = logged_in(clinic_a, data["user"], django_db_blocker)
    responses = post_at_once(clinic_a, cookies, django_db_blocker, "/appointments/new/", {
        "location": data["location"].pk, "practitioner": data["practitioner"].pk,
        "starts_at": f"{data['day'].isoformat()}T10:00", "patient": data["patients"][0].pk,
        "services": [data["service"].pk], "source": "phone", "note": "", "idempotency_key": key()})
    assert [getattr(r, "status_code", r) for r in responses] == [204] * THREADS
    assert replays(responses) == THREADS - 1
    assert len({r["HX-Redirect"] for r in responses}) == 1
    with django_db_blocker.unblock(), tenant_context(clinic_a):
        assert Appointment.objects.filter(practitioner=data["practitioner"]).count() == 1
