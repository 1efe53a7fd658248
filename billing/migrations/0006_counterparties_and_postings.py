"""Counterparties and balanced postings; every existing entry gets its posting and counter-leg.

The data step groups the entries written before postings existed the way the services
wrote them (a payment's entries together: its debt, its deposit use, its points), and
gives each entry its leg on the clinic's books by the rules ``billing.ledger.counter_leg``
had when this migration was written (copied here, so a later change of the rules does not
rewrite history). Balances, deposits, points and the cash and revenue reports read the
same sums afterwards (tests/billing/test_double_entry.py).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


DEBIT, CREDIT = 1, -1
SIDE = {"debt": DEBIT, "deposit": CREDIT, "points": DEBIT}
BOOK_SIDE = {"revenue": CREDIT, "revenue.barter": CREDIT, "revenue.partner": CREDIT, "platform.clearing": CREDIT,
             "platform.receivable": DEBIT, "till.cash": DEBIT, "till.card": DEBIT, "till.transfer": DEBIT,
             "club.credit": DEBIT, "write_off": DEBIT}
TILL = {"cash": "till.cash", "card": "till.card", "transfer": "till.transfer"}
REVENUE = {"barter_policy": "revenue.barter", "barter_company": "revenue.barter", "partner": "revenue.partner"}


def _counter_leg(payer_kind, bucket, kind, method, amount):
    if bucket == "debt" and kind in ("charge", "discount", "void"):
        return ("platform.clearing" if payer_kind == "platform_order" else REVENUE.get(payer_kind, "revenue")), amount
    if bucket == "debt" and kind in ("payment", "refund"):
        if method in TILL:
            return TILL[method], -amount
        if method == "loyalty":
            return "club.credit", -amount
        if method == "platform_settlement":
            return "platform.receivable", -amount
        return "", 0
    if bucket == "debt" and kind == "write_off":
        return "write_off", -amount
    if bucket == "deposit" and kind in ("deposit_received", "deposit_refunded"):
        return TILL[method], amount
    return "", 0


def give_entries_their_postings(apps, schema_editor):
    LedgerEntry = apps.get_model("billing", "LedgerEntry")
    Posting = apps.get_model("billing", "Posting")
    groups = {}
    for entry in LedgerEntry.objects.filter(posting__isnull=True).select_related("account").order_by("id"):
        groups.setdefault(("payment", entry.payment_id) if entry.payment_id else ("entry", entry.id), []).append(entry)
    for legs in groups.values():
        first = legs[0]
        created = min(leg.created for leg in legs)
        posting = Posting.objects.create(kind=first.kind, actor_id=first.actor_id, created=created)
        books = []
        for leg in legs:
            LedgerEntry.objects.filter(pk=leg.pk).update(posting=posting, side=SIDE[leg.bucket], created=created)
            book, amount = _counter_leg(leg.account.kind, leg.bucket, leg.kind, leg.method, leg.amount)
            if book:
                books.append(LedgerEntry(
                    posting=posting, book=book, bucket="book", side=BOOK_SIDE[book], kind=leg.kind, amount=amount,
                    currency=leg.currency, method=leg.method, patient_id=leg.patient_id, visit_id=leg.visit_id,
                    line_id=leg.line_id,
                    payment_id=leg.payment_id, deposit_id=leg.deposit_id, actor_id=leg.actor_id, note=leg.note,
                    created=created))
        LedgerEntry.objects.bulk_create(books)
    # The rows' deferred foreign-key checks now: the indexes and constraints this migration adds
    # next cannot be built while trigger events are pending.
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


class Migration(migrations.Migration):

    dependencies = [
        ('billing', '0005_line_split_quantity'),
        ('patients', '0002_standard_flags'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='CounterpartyReceipt',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('received_on', models.DateField(verbose_name='received on')),
                ('reference', models.CharField(max_length=100, verbose_name='bank reference')),
                ('created', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'money received',
                'verbose_name_plural': 'money received',
                'ordering': ['-received_on', '-id'],
                'default_permissions': (),
            },
        ),
        migrations.CreateModel(
            name='Posting',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('charge', 'Charge'), ('discount', 'Discount'), ('void', 'Voided line'), ('payment', 'Payment'), ('refund', 'Refund'), ('deposit_received', 'Deposit received'), ('deposit_applied', 'Deposit used'), ('deposit_returned', 'Deposit use refunded'), ('deposit_refunded', 'Deposit refunded'), ('points_earned', 'Points earned'), ('points_redeemed', 'Points redeemed'), ('write_off', 'Written off'), ('received', 'Money received'), ('allocated', 'Allocated'), ('unallocated', 'Allocation undone'), ('commission', 'Commission')], max_length=20)),
                ('created', models.DateTimeField(db_index=True)),
            ],
            options={
                'verbose_name': 'posting',
                'verbose_name_plural': 'postings',
                'ordering': ['created', 'id'],
                'default_permissions': (),
            },
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='book',
            field=models.CharField(blank=True, choices=[('revenue', 'Revenue'), ('revenue.barter', 'Revenue from barter'), ('revenue.partner', 'Revenue from partners'), ('platform.clearing', 'Platform settlement clearing'), ('platform.receivable', 'Platform settlement receivable'), ('till.cash', 'Cash'), ('till.card', 'Card clearing'), ('till.transfer', 'Bank'), ('club.credit', 'Customer club credit given'), ('write_off', 'Written off'), ('commission', 'Commission to partners')], max_length=30),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='side',
            field=models.SmallIntegerField(default=1),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='account',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='billing.payer'),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='bucket',
            field=models.CharField(choices=[('debt', 'Balance'), ('deposit', 'Deposits'), ('points', 'Customer club'), ('payable', 'Owed by the clinic'), ('book', 'Clinic account')], max_length=10),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='created',
            field=models.DateTimeField(),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='kind',
            field=models.CharField(choices=[('charge', 'Charge'), ('discount', 'Discount'), ('void', 'Voided line'), ('payment', 'Payment'), ('refund', 'Refund'), ('deposit_received', 'Deposit received'), ('deposit_applied', 'Deposit used'), ('deposit_returned', 'Deposit use refunded'), ('deposit_refunded', 'Deposit refunded'), ('points_earned', 'Points earned'), ('points_redeemed', 'Points redeemed'), ('write_off', 'Written off'), ('received', 'Money received'), ('allocated', 'Allocated'), ('unallocated', 'Allocation undone'), ('commission', 'Commission')], max_length=20),
        ),
        migrations.AlterField(
            model_name='ledgerentry',
            name='patient',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_entries', to='patients.patient'),
        ),
        migrations.CreateModel(
            name='Allocation',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('amount', models.DecimalField(decimal_places=2, max_digits=14, verbose_name='amount')),
                ('created', models.DateTimeField(auto_now_add=True)),
                ('undone_at', models.DateTimeField(blank=True, null=True, verbose_name='undone')),
                ('undo_reason', models.CharField(blank=True, max_length=200, verbose_name='reason')),
                ('allocated_by', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('payer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.payer', verbose_name='payer')),
                ('undone_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ('visit', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='billing.visit', verbose_name='visit')),
            ],
            options={
                'verbose_name': 'allocation',
                'verbose_name_plural': 'allocations',
                'ordering': ['created', 'id'],
                'default_permissions': (),
            },
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='allocation',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='billing.allocation'),
        ),
        migrations.CreateModel(
            name='Counterparty',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('platform', 'Platform'), ('barter_company', 'Barter company'), ('partner', 'Partner company')], max_length=20, verbose_name='kind')),
                ('reference', models.CharField(editable=False, max_length=100)),
                ('name', models.CharField(max_length=200, verbose_name='name')),
                ('currency', models.CharField(max_length=3, verbose_name='currency')),
                ('created', models.DateTimeField(auto_now_add=True)),
            ],
            options={
                'verbose_name': 'counterparty',
                'verbose_name_plural': 'counterparties',
                'ordering': ['name', 'id'],
                'permissions': [('settle_counterparty', 'Can record and allocate money from counterparties')],
                'default_permissions': ('view',),
                'constraints': [models.UniqueConstraint(fields=('kind', 'reference'), name='billing_counterparty_once')],
            },
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='counterparty',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='billing.counterparty'),
        ),
        migrations.AddField(
            model_name='payer',
            name='counterparty',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='payers', to='billing.counterparty', verbose_name='counterparty'),
        ),
        migrations.AddConstraint(
            model_name='payer',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('kind', 'patient'), _negated=True), ('counterparty__isnull', True), _connector='OR'), name='billing_own_account_has_no_counterparty'),
        ),
        migrations.AddField(
            model_name='counterpartyreceipt',
            name='counterparty',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='receipts', to='billing.counterparty', verbose_name='counterparty'),
        ),
        migrations.AddField(
            model_name='counterpartyreceipt',
            name='recorded_by',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='allocation',
            name='receipt',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='allocations', to='billing.counterpartyreceipt'),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='receipt',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='entries', to='billing.counterpartyreceipt'),
        ),
        migrations.AddField(
            model_name='posting',
            name='actor',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AddField(
            model_name='ledgerentry',
            name='posting',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='legs', to='billing.posting'),
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(fields=['posting'], name='billing_ledger_posting'),
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('counterparty__isnull', False)), fields=['counterparty', 'created'], name='billing_ledger_counterparty'),
        ),
        migrations.AddIndex(
            model_name='ledgerentry',
            index=models.Index(condition=models.Q(('book', ''), _negated=True), fields=['book', 'created'], name='billing_ledger_book'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('account__isnull', False), ('book', ''), ('counterparty__isnull', True)), models.Q(('account__isnull', True), ('book', ''), ('counterparty__isnull', False)), models.Q(('account__isnull', True), ('counterparty__isnull', True), models.Q(('book', ''), _negated=True)), _connector='OR'), name='billing_ledger_one_account'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(('book', ''), ('bucket', 'book'), _connector='OR'), name='billing_ledger_book_bucket'),
        ),
        migrations.AddConstraint(
            model_name='ledgerentry',
            constraint=models.CheckConstraint(condition=models.Q(('side__in', [1, -1])), name='billing_ledger_side'),
        ),
        migrations.AddConstraint(
            model_name='counterpartyreceipt',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='billing_receipt_positive'),
        ),
        migrations.AddConstraint(
            model_name='allocation',
            constraint=models.CheckConstraint(condition=models.Q(('amount__gt', 0)), name='billing_allocation_positive'),
        ),
        migrations.RunPython(give_entries_their_postings, migrations.RunPython.noop),
    ]
