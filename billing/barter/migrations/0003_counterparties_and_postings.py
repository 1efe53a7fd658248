"""Each agreement's company (or public person) becomes a counterparty; its policies' payers
and its overspend payers belong to it by a foreign key."""

import django.db.models.deletion
from django.db import migrations, models


def agreements_as_counterparties(apps, schema_editor):
    Agreement = apps.get_model("barter", "Agreement")
    Policy = apps.get_model("barter", "Policy")
    Counterparty = apps.get_model("billing", "Counterparty")
    Payer = apps.get_model("billing", "Payer")
    for agreement in Agreement.objects.filter(counterparty__isnull=True):
        policy = Policy.objects.filter(agreement=agreement).first()
        currency = policy.currency if policy is not None else _clinic_currency(schema_editor)
        counterparty = Counterparty.objects.create(kind="barter_company", reference=f"agreement:{agreement.pk}",
                                                   name=agreement.name, currency=currency)
        Agreement.objects.filter(pk=agreement.pk).update(counterparty=counterparty)
        policies = Policy.objects.filter(agreement=agreement)
        Payer.objects.filter(pk__in=policies.values("payer_id")).update(counterparty=counterparty)
        Payer.objects.filter(pk__in=policies.values("overspend_payer_id")).exclude(kind="patient").update(
            counterparty=counterparty)


def _clinic_currency(schema_editor) -> str:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT currency FROM public.tenants_clinic WHERE schema_name = current_schema()")
        row = cursor.fetchone()
    return row[0] if row else "EUR"


class Migration(migrations.Migration):

    dependencies = [
        ('barter', '0002_treatment_plans_and_write_offs'),
        ('billing', '0006_counterparties_and_postings'),
    ]

    operations = [
        migrations.AddField(
            model_name='agreement',
            name='counterparty',
            field=models.OneToOneField(editable=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='barter_agreement', to='billing.counterparty'),
        ),
        migrations.RunPython(agreements_as_counterparties, migrations.RunPython.noop),
    ]
