"""Each partnership's company becomes a counterparty (found by the company's id, never its
name); its payers belong to it; every booking gets the ledger postings the partner's account
reads: the commission owed on the booked value, and its reversal at cancellation."""

from decimal import ROUND_HALF_UP, Decimal

import django.db.models.deletion
from django.db import migrations, models


MINOR = {"IRR": 0}


def _money(amount, currency):
    return Decimal(amount).quantize(Decimal(1).scaleb(-MINOR.get(currency, 2)), rounding=ROUND_HALF_UP)


def partners_as_counterparties(apps, schema_editor):
    Partnership = apps.get_model("partners", "Partnership")
    PartnerBooking = apps.get_model("partners", "PartnerBooking")
    Counterparty = apps.get_model("billing", "Counterparty")
    Payer = apps.get_model("billing", "Payer")
    Posting = apps.get_model("billing", "Posting")
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT currency FROM public.tenants_clinic WHERE schema_name = current_schema()")
        row = cursor.fetchone()
        currency = row[0] if row else "EUR"
        for partnership in Partnership.objects.filter(counterparty__isnull=True):
            cursor.execute("SELECT name FROM public.partner_organisations_partnerorganisation WHERE id = %s",
                           [partnership.organisation_id])
            found = cursor.fetchone()
            counterparty = Counterparty.objects.create(
                kind="partner", reference=f"partner:{partnership.organisation_id}",
                name=found[0] if found else f"#{partnership.organisation_id}", currency=currency)
            Partnership.objects.filter(pk=partnership.pk).update(counterparty=counterparty)
            bookings = PartnerBooking.objects.filter(partnership=partnership)
            Payer.objects.filter(pk__in=bookings.exclude(payer=None).values("payer_id")).update(
                counterparty=counterparty)
            for booking in bookings.order_by("created", "pk"):
                post = _post(Posting, LedgerEntry, counterparty, booking, booking.created, 1)
                if post is not None:
                    PartnerBooking.objects.filter(pk=booking.pk).update(posting=post)
                if booking.cancelled_at is not None:
                    post = _post(Posting, LedgerEntry, counterparty, booking, booking.cancelled_at, -1)
                    if post is not None:
                        PartnerBooking.objects.filter(pk=booking.pk).update(cancel_posting=post)


def _post(Posting, LedgerEntry, counterparty, booking, at, sign):
    commission = _money(booking.value * booking.commission_percent / 100, booking.currency) * sign
    if not commission:
        return None
    posting = Posting.objects.create(kind="commission", created=at)
    common = {"posting": posting, "currency": booking.currency, "created": at,
              "note": f"P-{booking.reference:06d}"}
    LedgerEntry.objects.bulk_create([
        LedgerEntry(counterparty=counterparty, bucket="payable", side=-1, kind="commission", amount=commission,
                    **common),
        LedgerEntry(book="commission", bucket="book", side=1, kind="commission", amount=commission, **common),
    ])
    return posting


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0006_counterparties_and_postings'),
        ('billing', '0007_balanced_postings'),
        ('partners', '0002_booking_payer'),
    ]

    operations = [
        migrations.AddField(
            model_name='partnerbooking',
            name='cancel_posting',
            field=models.OneToOneField(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='partner_booking_cancelled', to='billing.posting'),
        ),
        migrations.AddField(
            model_name='partnerbooking',
            name='posting',
            field=models.OneToOneField(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='partner_booking', to='billing.posting'),
        ),
        migrations.AddField(
            model_name='partnership',
            name='counterparty',
            field=models.OneToOneField(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='partnership', to='billing.counterparty'),
        ),
        migrations.RunPython(partners_as_counterparties, migrations.RunPython.noop),
    ]
