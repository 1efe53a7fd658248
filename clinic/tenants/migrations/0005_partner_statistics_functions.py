"""The trigger functions that say which partner bookings' statistics changed, in the public schema
(shared by every clinic's schema, as the ledger's are: migration 0003).

The statistics sent by partners are kept per partner and day (``partners.StatisticsDay``) and
folded from the bookings and the ledger; a day is read live again as soon as anything its
figures are made of changes. Each function below writes, for every booking a statement touched,
the time the booking was made into ``partners_statisticschange`` of the schema that fired it
(``TG_TABLE_SCHEMA``): a booking made, changed or removed; its appointment's status; the services
booked on it; a visit moved to or from its appointment; a visit line's service; a ledger leg on its
appointment's visit or on its own postings; its partner's counterparty. Statement triggers with
transition tables: one run a statement, a few index look-ups a changed row.
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

CREATE OR REPLACE FUNCTION public.partner_statistics_appointment_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    appointments bigint[];
BEGIN
    -- Only a change of status makes a booking live or not.
    SELECT array_agg(n.id) INTO appointments
      FROM changed_new n JOIN changed_old o ON o.id = n.id WHERE n.status IS DISTINCT FROM o.status;
    PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, appointments);
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

CREATE OR REPLACE FUNCTION public.partner_statistics_visit_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    appointments bigint[];
BEGIN
    IF TG_OP = 'DELETE' THEN
        SELECT array_agg(DISTINCT appointment_id) INTO appointments FROM changed_old WHERE appointment_id IS NOT NULL;
    ELSE
        SELECT array_agg(DISTINCT appointment_id) INTO appointments
          FROM (SELECT n.appointment_id FROM changed_new n JOIN changed_old o ON o.id = n.id
                 WHERE n.appointment_id IS DISTINCT FROM o.appointment_id
                UNION
                SELECT o.appointment_id FROM changed_new n JOIN changed_old o ON o.id = n.id
                 WHERE n.appointment_id IS DISTINCT FROM o.appointment_id) AS moved
         WHERE appointment_id IS NOT NULL;
    END IF;
    PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, appointments);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.partner_statistics_line_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    visits bigint[];
    appointments bigint[];
BEGIN
    SELECT array_agg(DISTINCT visit) INTO visits
      FROM (SELECT n.visit_id AS visit FROM changed_new n JOIN changed_old o ON o.id = n.id
             WHERE n.service_id IS DISTINCT FROM o.service_id OR n.visit_id IS DISTINCT FROM o.visit_id
            UNION
            SELECT o.visit_id FROM changed_new n JOIN changed_old o ON o.id = n.id
             WHERE n.service_id IS DISTINCT FROM o.service_id OR n.visit_id IS DISTINCT FROM o.visit_id) AS lines;
    IF visits IS NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('SELECT array_agg(DISTINCT appointment_id) FROM %I.billing_visit
                     WHERE id = ANY($1) AND appointment_id IS NOT NULL', TG_TABLE_SCHEMA)
       INTO appointments USING visits;
    PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, appointments);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.partner_statistics_leg_posted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    visits bigint[];
    postings bigint[];
    appointments bigint[];
BEGIN
    SELECT array_agg(DISTINCT visit_id) FILTER (WHERE visit_id IS NOT NULL),
           array_agg(DISTINCT posting_id) FILTER (WHERE visit_id IS NULL AND bucket = 'payable')
      INTO visits, postings FROM changed_new;
    IF visits IS NOT NULL THEN
        EXECUTE format('SELECT array_agg(DISTINCT appointment_id) FROM %I.billing_visit
                         WHERE id = ANY($1) AND appointment_id IS NOT NULL', TG_TABLE_SCHEMA)
           INTO appointments USING visits;
        PERFORM public.partner_statistics_mark_appointments(TG_TABLE_SCHEMA, appointments);
    END IF;
    -- A booking's own postings on no visit (its commission posted or reversed at booking).
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

CREATE OR REPLACE FUNCTION public.partner_statistics_partnership_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    partnerships bigint[];
BEGIN
    SELECT array_agg(n.id) INTO partnerships
      FROM changed_new n JOIN changed_old o ON o.id = n.id WHERE n.counterparty_id IS DISTINCT FROM o.counterparty_id;
    IF partnerships IS NOT NULL THEN
        EXECUTE format('INSERT INTO %1$I.partners_statisticschange (booked_at)
                        SELECT created FROM %1$I.partners_partnerbooking WHERE partnership_id = ANY($1)',
                       TG_TABLE_SCHEMA) USING partnerships;
    END IF;
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
DROP FUNCTION IF EXISTS public.partner_statistics_mark_appointments(text, bigint[]);
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0004_clinic_calendar")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
