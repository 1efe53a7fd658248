import pytest
from django.core.management import call_command
from django_tenants.utils import schema_context

from clinic.accounts.models import User
from clinic.models import Location, Practitioner, Service, ServiceCategory, WorkingHours

pytestmark = pytest.mark.django_db


def clinic_zone_day(moment):
    from clinic.periods import clinic_zone

    return moment.astimezone(clinic_zone()).date()


def counts():
    from billing.models import Activity, Deposit, LedgerEntry, Payment, Promotion, Visit

    return {
        model.__name__: model.objects.count()
        for model in (Location, Practitioner, Service, ServiceCategory, WorkingHours, User, Visit, Payment,
                      Deposit, LedgerEntry, Activity, Promotion)
    }


def test_seed_demo_builds_a_believable_clinic_and_is_idempotent(clinic_b):
    call_command("seed_demo", clinic="beta")
    with schema_context(clinic_b.schema_name):
        first = counts()
        prices = dict(Service.objects.values_list("code", "price"))
    assert first["Location"] >= 2 and first["Practitioner"] >= 6 and first["Service"] >= 40
    assert first["ServiceCategory"] >= 5
    # Money: visits paid in full, in part and from deposits, unapplied deposits, CRM tasks.
    assert first["Visit"] > 50 and first["Payment"] > 40 and first["Deposit"] >= 5 and first["Activity"] >= 10
    from django_tenants.utils import tenant_context

    with tenant_context(clinic_b):
        from billing.reports import unapplied_deposits

        assert len(unapplied_deposits()) >= 5
        # A barter company with two employees (one nearly exhausted) and a public person, all reviewed.
        from billing import ledger
        from billing.barter.models import Policy
        from billing.barter.services import figures
        from partners.models import PartnerBooking, Partnership

        # Two partners linked, channels ticked, bookings from the portal (one cancelled) and one
        # billed last week: the partner's account and receivables have real ledger entries.
        assert Partnership.objects.count() == 2
        assert all(p.services.exists() and p.locations.exists() for p in Partnership.objects.all())
        bookings = list(PartnerBooking.objects.all())
        assert len(bookings) == 8 and sum(b.cancelled_at is not None for b in bookings) == 2
        billed = [b for b in bookings if b.appointment.status == "completed"]
        assert len(billed) == 2
        # The statistics' days folded as beat's task folds them, and read back as the live figures.
        from partners.models import StatisticsChange, StatisticsDay
        from partners.reports import live_figures, period_figures

        assert StatisticsDay.objects.exists() and not StatisticsChange.objects.exists()
        made = sorted(b.created for b in bookings)
        first_day, last_day = (clinic_zone_day(made[0]), clinic_zone_day(made[-1]))
        assert period_figures(first_day, last_day) == live_figures(PartnerBooking.objects.all())
        balances = {p.payment_place: ledger.counterparty_balance(p.counterparty)
                    for p in Partnership.objects.select_related("counterparty")}
        assert balances["clinic"].owed > 0 and balances["clinic"].owes == 0  # commission on what was charged
        assert balances["partner"].owes > 0 and balances["partner"].owed > 0  # collected there, and commission
        policies = list(Policy.objects.select_related("agreement"))
        assert {p.agreement.kind for p in policies} == {"company", "public_person"} and len(policies) == 3
        assert all(p.review == "approved" for p in policies)
        assert any(figures(p).spent > 0 for p in policies)
        # Platform orders in every status, made through the real paths, and the months they make.
        from clinic.periods import clinic_today, previous_month
        from platforms.amounts import with_amounts
        from platforms.models import PlatformOrder
        from reconciliation.models import MonthlyStatement

        statuses = set(PlatformOrder.objects.values_list("status", flat=True))
        assert statuses == {"new", "confirmed", "redeemed", "cancelled", "refunded"}
        assert PlatformOrder.objects.filter(status="confirmed", appointment__status="no_show").exists()
        assert PlatformOrder.objects.filter(status="redeemed").exclude(image="").exists()
        assert PlatformOrder.objects.filter(status="redeemed", kind="cash_voucher").exists()
        redeemed = with_amounts(PlatformOrder.objects.filter(status="redeemed"))
        assert all(order.owed > 0 for order in redeemed)  # on the ledger
        last = previous_month(clinic_today().replace(day=1))
        assert PlatformOrder.objects.filter(status="redeemed", redeemed_at__month=last.month).exists()
        assert not MonthlyStatement.objects.filter(month=last).exists()  # the manager generates it
        earlier = MonthlyStatement.objects.filter(month__lt=last)
        assert earlier.exists() and all(s.status == "verified" and s.settlement_id is None for s in earlier)
    call_command("seed_demo", clinic="beta")
    with schema_context(clinic_b.schema_name):
        assert counts() == first
        assert dict(Service.objects.values_list("code", "price")) == prices
        for email in ("manager@demo.example", "frontdesk@demo.example", "finance@demo.example"):
            assert User.objects.get(email=email).groups.exists()


def test_seed_demo_refuses_an_unknown_clinic():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("seed_demo", clinic="nope")
