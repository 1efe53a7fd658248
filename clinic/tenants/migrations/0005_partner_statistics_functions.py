"""The trigger functions that say which partner bookings' statistics changed, in the public schema
(shared by every clinic's schema, as the ledger's are: migration 0003).

The statistics sent by partners are kept per partner and day (``partners.StatisticsDay``) and
folded from the bookings and the ledger; a day is read live again as soon as anything its
figures are made of changes. Each function below writes, for every booking a statement touched,
the time the booking was made into ``partners_statisticschange`` of the schema that fired it
(``TG_TABLE_SCHEMA``): a booking made, changed or removed; its appointment's status; the services
booked on it; a visit moved to or from its appointment; a visit line's service; a ledger leg on its
appointment's visit or on its own postings; its partner's counterparty; a table emptied.
Statement triggers with transition tables where rows come many at a time (bookings, booked
services, ledger legs); row triggers behind a WHEN on the columns read where updates are frequent
and mostly about other columns (appointments, visits, lines, partnerships). What no trigger sees:
rows loaded with triggers disabled (``session_replication_role = replica``), and a ledger leg
inserted before its visit in the same transaction (only possible with explicit ids).
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.partner_statistics_booking_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        EXECUTE format('INSERT INTO %I.partners_statisticschange (booked_at) SELECT DISTINCT created FROM changed_new',
                       TG_TABLE_SCHEMA);
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        EXECUTE format('INSERT INTO %I.partners_statisticschange (booked_at) SELECT DISTINCT created FROM changed_old',
                       TG_TABLE_SCHEMA);
    END IF;
    RETURN NULL;
END;
$$;

-- The bookings of the given appointments (by the booking's unique appointment index).
CREATE OR REPLACE FUNCTION public.partner_statistics_mark_appointments(schema_name text, appointments bigint[])
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF appointments IS NULL OR cardinality(appointments) = 0 THEN
        RETURN;
    END IF;
    EXECUTE format('INSERT INTO %1$I.partners_statisticschange (booked_at)
                    SELECT b.created FROM %1$I.partners_partnerbooking b WHERE b.appointment_id = ANY($1)',
                   schema_name) USING appointments;
END;
$$;

-- The bookings of the given visits' appointments.
CREATE OR REPLACE FUNCTION public.partner_statistics_mark_visits(schema_name text, visits bigint[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    appointments bigint[];
BEGIN
    IF visits IS NULL OR cardinality(visits) = 0 THEN
        RETURN;
    END IF;
    EXECUTE format('SELECT array_agg(DISTINCT appointment_id) FROM %I.billing_visit
                     WHERE id = ANY($1) AND appointment_id IS NOT NULL', schema_name)
       INTO appointments USING visits;
    PERFORM public.partner_statistics_mark_appointments(schema_name, appointments);
END;
$$;

-- Row triggers, each behind a WHEN that compares the columns the figures read: an appointment's
-- status (live or not), a visit's appointment, a line's visit or service, a partnership's
-- counterparty. An update that changes none of them does not call the function.
CREATE OR REPLACE FUNCTION public.partner_statistics_appointment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, ARRAY[NEW.id]);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.partner_statistics_visit_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, ARRAY[OLD.appointment_id]);
    ELSE
        PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, ARRAY[OLD.appointment_id, NEW.appointment_id]);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.partner_statistics_line_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM public.partner_statistics_mark_visits(TG_TABLE_SCHEMA, ARRAY[OLD.visit_id, NEW.visit_id]);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.partner_statistics_partnership_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('INSERT INTO %1$I.partners_statisticschange (booked_at)
                    SELECT DISTINCT created FROM %1$I.partners_partnerbooking WHERE partnership_id = $1',
                   TG_TABLE_SCHEMA) USING NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.partner_statistics_booked_service_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    appointments bigint[];
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT array_agg(DISTINCT appointment_id) INTO appointments FROM changed_new;
    ELSIF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT appointment_id) INTO appointments FROM changed_old;
    ELSE
        SELECT array_agg(DISTINCT appointment_id) INTO appointments
          FROM (SELECT appointment_id FROM changed_new UNION SELECT appointment_id FROM changed_old) AS both_sides;
    END IF;
    PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, appointments);
    RETURN NULL;
END;
$$;

-- Only the legs the figures read: a line's charge, discount or void on a debt bucket, and a
-- commission (payable) — on a visit, or on a booking's own postings. Payments, deposits, points
-- and the books' legs change nothing here. Inserted (posted), or deleted (a test's clean-up).
CREATE OR REPLACE FUNCTION public.partner_statistics_leg_posted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    visits bigint[];
    postings bigint[];
    legs text := CASE WHEN TG_OP = 'DELETE' THEN 'changed_old' ELSE 'changed_new' END;
BEGIN
    EXECUTE format('SELECT array_agg(DISTINCT visit_id) FILTER (WHERE visit_id IS NOT NULL),
                           array_agg(DISTINCT posting_id) FILTER (WHERE visit_id IS NULL AND bucket = ''payable'')
                      FROM %I
                     WHERE bucket = ''payable''
                        OR (bucket = ''debt'' AND line_id IS NOT NULL AND kind IN (''charge'', ''discount'', ''void''))',
                   legs) INTO visits, postings;
    PERFORM public.partner_statistics_mark_visits(TG_TABLE_SCHEMA, visits);
    IF postings IS NOT NULL THEN
        EXECUTE format('INSERT INTO %1$I.partners_statisticschange (booked_at)
                        SELECT created FROM %1$I.partners_partnerbooking WHERE posting_id = ANY($1)
                        UNION ALL
                        SELECT created FROM %1$I.partners_partnerbooking WHERE cancel_posting_id = ANY($1)',
                       TG_TABLE_SCHEMA) USING postings;
    END IF;
    RETURN NULL;
END;
$$;

-- A table emptied at once (TRUNCATE): no day folded before stands; every booking left is read
-- live until the next fold.
CREATE OR REPLACE FUNCTION public.partner_statistics_emptied() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    EXECUTE format('DELETE FROM %1$I.partners_statisticsday;
                    INSERT INTO %1$I.partners_statisticschange (booked_at)
                    SELECT DISTINCT created FROM %1$I.partners_partnerbooking', TG_TABLE_SCHEMA);
    RETURN NULL;
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS public.partner_statistics_booking_changed();
DROP FUNCTION IF EXISTS public.partner_statistics_appointment_changed();
DROP FUNCTION IF EXISTS public.partner_statistics_booked_service_changed();
DROP FUNCTION IF EXISTS public.partner_statistics_visit_changed();
DROP FUNCTION IF EXISTS public.partner_statistics_line_changed();
DROP FUNCTION IF EXISTS public.partner_statistics_leg_posted();
DROP FUNCTION IF EXISTS public.partner_statistics_partnership_changed();
DROP FUNCTION IF EXISTS public.partner_statistics_emptied();
DROP FUNCTION IF EXISTS public.partner_statistics_mark_visits(text, bigint[]);
DROP FUNCTION IF EXISTS public.partner_statistics_mark_appointments(text, bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_clinic_calendar")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
