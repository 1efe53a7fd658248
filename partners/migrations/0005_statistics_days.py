"""The statistics sent by partners, kept per partner and day; the triggers that say which days
changed (their functions: clinic.tenants migration 0005). Every booking there is counts as changed
at first, so the first fold makes every day's figures."""

import django.db.models.deletion
from django.db import migrations, models

# Statement triggers (trigger, table, event, transition tables, function), each handing the rows
# it changed to its function (clinic.tenants migration 0005) ...
NEW, OLD, BOTH = "NEW TABLE AS changed_new", "OLD TABLE AS changed_old", "NEW TABLE AS changed_new OLD TABLE AS changed_old"
STATEMENT_TRIGGERS = [
    ("booking_made", "partners_partnerbooking", "INSERT", NEW, "booking_changed"),
    ("booking_updated", "partners_partnerbooking", "UPDATE", BOTH, "booking_changed"),
    ("booking_removed", "partners_partnerbooking", "DELETE", OLD, "booking_changed"),
    ("booked_service_added", "scheduling_appointmentservice", "INSERT", NEW, "booked_service_changed"),
    ("booked_service_updated", "scheduling_appointmentservice", "UPDATE", BOTH, "booked_service_changed"),
    ("booked_service_removed", "scheduling_appointmentservice", "DELETE", OLD, "booked_service_changed"),
    ("leg_posted", "billing_ledgerentry", "INSERT", NEW, "leg_posted"),
    ("leg_removed", "billing_ledgerentry", "DELETE", OLD, "leg_posted"),
]
# ... row triggers (trigger, table, event, when, function) for the frequent updates, called only
# when a column the figures read changed ...
ROW_TRIGGERS = [
    ("appointment_updated", "scheduling_appointment", "UPDATE", "OLD.status IS DISTINCT FROM NEW.status",
     "appointment_changed"),
    ("visit_updated", "billing_visit", "UPDATE", "OLD.appointment_id IS DISTINCT FROM NEW.appointment_id",
     "visit_changed"),
    ("visit_removed", "billing_visit", "DELETE", "OLD.appointment_id IS NOT NULL", "visit_changed"),
    ("line_updated", "billing_visitline", "UPDATE",
     "OLD.service_id IS DISTINCT FROM NEW.service_id OR OLD.visit_id IS DISTINCT FROM NEW.visit_id", "line_changed"),
    ("partnership_updated", "partners_partnership", "UPDATE", "OLD.counterparty_id IS DISTINCT FROM NEW.counterparty_id",
     "partnership_changed"),
]
# ... and a table emptied at once.
EMPTIED = ["partners_partnerbooking", "scheduling_appointment", "scheduling_appointmentservice", "billing_visit",
           "billing_visitline", "billing_ledgerentry", "partners_partnership"]
TRIGGERS = "\n".join(
    [f"CREATE TRIGGER partners_statistics_{name} AFTER {event} ON {table} REFERENCING {tables} "
     f"FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_{function}();"
     for name, table, event, tables, function in STATEMENT_TRIGGERS]
    + [f"CREATE TRIGGER partners_statistics_{name} AFTER {event} ON {table} FOR EACH ROW WHEN ({when}) "
       f"EXECUTE FUNCTION public.partner_statistics_{function}();"
       for name, table, event, when, function in ROW_TRIGGERS]
    + [f"CREATE TRIGGER partners_statistics_emptied AFTER TRUNCATE ON {table} "
       f"FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_emptied();" for table in EMPTIED])
DROP_TRIGGERS = "\n".join(
    [f"DROP TRIGGER IF EXISTS partners_statistics_{name} ON {table};"
     for name, table, *_rest in [*STATEMENT_TRIGGERS, *ROW_TRIGGERS]]
    + [f"DROP TRIGGER IF EXISTS partners_statistics_emptied ON {table};" for table in EMPTIED])
# Every booking made before the triggers: its day is folded by the first fold.
EVERY_BOOKING = "INSERT INTO partners_statisticschange (booked_at) SELECT DISTINCT created FROM partners_partnerbooking"


class Migration(migrations.Migration):

    dependencies = [
        ('partners', '0004_patient_search_refused'),
        ('billing', '0011_ledger_debt_index'),
        ('scheduling', '0001_initial'),
        ('tenants', '0005_partner_statistics_functions'),
    ]

    operations = [
        migrations.CreateModel(
            name='StatisticsChange',
            fields=[
                ('id', models.BigAutoField(primary_key=True, serialize=False)),
                ('booked_at', models.DateTimeField(db_index=True)),
            ],
        ),
        migrations.CreateModel(
            name='StatisticsDay',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('day', models.DateField()),
                ('zone', models.CharField(max_length=64)),
                ('bookings', models.PositiveIntegerField()),
                ('live', models.PositiveIntegerField()),
                ('billed', models.PositiveIntegerField()),
                ('booked', models.DecimalField(decimal_places=2, max_digits=14)),
                ('commission_booked', models.DecimalField(decimal_places=2, max_digits=14)),
                ('paid_at_partner', models.DecimalField(decimal_places=2, max_digits=14)),
                ('charged', models.DecimalField(decimal_places=2, max_digits=14)),
                ('payable', models.DecimalField(decimal_places=2, max_digits=14)),
                ('folded_at', models.DateTimeField()),
                ('partnership', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='partners.partnership')),
            ],
            options={
                'indexes': [models.Index(fields=['day'], name='partners_statistics_day')],
                'constraints': [models.UniqueConstraint(fields=('partnership', 'day'), name='partners_statistics_day_once')],
            },
        ),
        migrations.RunSQL(TRIGGERS, DROP_TRIGGERS),
        migrations.RunSQL(EVERY_BOOKING, migrations.RunSQL.noop),
    ]
