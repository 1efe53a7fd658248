"""The statistics sent by partners, kept per partner and day; the triggers that say which days
changed (their functions: clinic.tenants migration 0005). Every booking there is counts as changed
at first, so the first fold makes every day's figures."""

import django.db.models.deletion
from django.db import migrations, models


TRIGGERS = """
CREATE TRIGGER partners_statistics_booking_made AFTER INSERT ON partners_partnerbooking
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_booking_changed();
CREATE TRIGGER partners_statistics_booking_updated AFTER UPDATE ON partners_partnerbooking
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_booking_changed();
CREATE TRIGGER partners_statistics_booking_removed AFTER DELETE ON partners_partnerbooking
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_booking_changed();
CREATE TRIGGER partners_statistics_appointment_updated AFTER UPDATE ON scheduling_appointment
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_appointment_changed();
CREATE TRIGGER partners_statistics_booked_service_added AFTER INSERT ON scheduling_appointmentservice
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_booked_service_changed();
CREATE TRIGGER partners_statistics_booked_service_updated AFTER UPDATE ON scheduling_appointmentservice
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_booked_service_changed();
CREATE TRIGGER partners_statistics_booked_service_removed AFTER DELETE ON scheduling_appointmentservice
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_booked_service_changed();
CREATE TRIGGER partners_statistics_visit_updated AFTER UPDATE ON billing_visit
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_visit_changed();
CREATE TRIGGER partners_statistics_visit_removed AFTER DELETE ON billing_visit
    REFERENCING OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_visit_changed();
CREATE TRIGGER partners_statistics_line_updated AFTER UPDATE ON billing_visitline
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_line_changed();
CREATE TRIGGER partners_statistics_leg_posted AFTER INSERT ON billing_ledgerentry
    REFERENCING NEW TABLE AS changed_new
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_leg_posted();
CREATE TRIGGER partners_statistics_partnership_updated AFTER UPDATE ON partners_partnership
    REFERENCING NEW TABLE AS changed_new OLD TABLE AS changed_old
    FOR EACH STATEMENT EXECUTE FUNCTION public.partner_statistics_partnership_changed();
"""
DROP_TRIGGERS = """
DROP TRIGGER IF EXISTS partners_statistics_booking_made ON partners_partnerbooking;
DROP TRIGGER IF EXISTS partners_statistics_booking_updated ON partners_partnerbooking;
DROP TRIGGER IF EXISTS partners_statistics_booking_removed ON partners_partnerbooking;
DROP TRIGGER IF EXISTS partners_statistics_appointment_updated ON scheduling_appointment;
DROP TRIGGER IF EXISTS partners_statistics_booked_service_added ON scheduling_appointmentservice;
DROP TRIGGER IF EXISTS partners_statistics_booked_service_updated ON scheduling_appointmentservice;
DROP TRIGGER IF EXISTS partners_statistics_booked_service_removed ON scheduling_appointmentservice;
DROP TRIGGER IF EXISTS partners_statistics_visit_updated ON billing_visit;
DROP TRIGGER IF EXISTS partners_statistics_visit_removed ON billing_visit;
DROP TRIGGER IF EXISTS partners_statistics_line_updated ON billing_visitline;
DROP TRIGGER IF EXISTS partners_statistics_leg_posted ON billing_ledgerentry;
DROP TRIGGER IF EXISTS partners_statistics_partnership_updated ON partners_partnership;
"""
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
