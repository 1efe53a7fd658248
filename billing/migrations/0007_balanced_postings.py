"""Every leg has its posting and its side; the database keeps the books balanced and append-only.

The trigger functions live in the public schema (``clinic.tenants`` migration 0003) so that a
clinic's schema holds only tables and triggers, which the fast clone reproduces. A deferred
constraint trigger checks at commit that each posting a transaction touched has at least two
legs whose Σ amount × side is zero (django-hordak's ``check_leg`` idea); another refuses any
UPDATE or DELETE of a leg or a posting.
"""

import django.db.models.deletion
from django.db import migrations, models

TRIGGERS = """
CREATE CONSTRAINT TRIGGER billing_ledger_balanced AFTER INSERT ON billing_ledgerentry
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.ledger_check_posting_balanced();
CREATE TRIGGER billing_ledger_append_only BEFORE UPDATE OR DELETE ON billing_ledgerentry
    FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
CREATE TRIGGER billing_posting_append_only BEFORE UPDATE OR DELETE ON billing_posting
    FOR EACH ROW EXECUTE FUNCTION public.ledger_refuse_change();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS billing_ledger_balanced ON billing_ledgerentry;
DROP TRIGGER IF EXISTS billing_ledger_append_only ON billing_ledgerentry;
DROP TRIGGER IF EXISTS billing_posting_append_only ON billing_posting;
"""


class Migration(migrations.Migration):

    dependencies = [
        ("billing", "0006_counterparties_and_postings"),
        ("tenants", "0003_ledger_functions"),
    ]

    operations = [
        migrations.RemoveField(model_name="ledgerentry", name="cash_flow"),
        migrations.AlterField(
            model_name="ledgerentry",
            name="posting",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="legs",
                                    to="billing.posting"),
        ),
        migrations.AlterField(model_name="ledgerentry", name="side", field=models.SmallIntegerField()),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
    ]
