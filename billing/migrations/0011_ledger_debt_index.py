# The receivables' ageing and a counterparty's balance read a coverage's debt from this index alone.

from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0010_settlement_books'),
    ]

    operations = [
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('bucket', 'debt')), fields=['account', 'visit'], include=('created', 'amount'), name='billing_ledger_debt'),
        ),
    ]
