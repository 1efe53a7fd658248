"""The ledger's trigger functions, in the public schema (shared by every clinic's schema).

``ledger_refuse_change`` lets an UPDATE through only when it forgets who posted (a staff
member's account deleted: ON DELETE SET NULL), and a DELETE only when the session says
``SET clinic.ledger_purge = 'on'`` (the browser tests' clean-up of the rows they committed).
Each works on the table that fired it (``TG_TABLE_SCHEMA``), so one function serves every
clinic; the clinic's schema holds only the triggers (billing migration 0007).
"""

from django.db import migrations

FUNCTIONS = r"""
CREATE OR REPLACE FUNCTION public.ledger_check_posting_balanced() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    total numeric;
    legs integer;
BEGIN
    EXECUTE format('SELECT COALESCE(SUM(amount * side), 0), COUNT(*) FROM %I.%I WHERE posting_id = $1',
                   TG_TABLE_SCHEMA, TG_TABLE_NAME)
       INTO total, legs USING NEW.posting_id;
    IF total <> 0 THEN
        RAISE EXCEPTION 'Posting % does not balance: its legs sum to %', NEW.posting_id, total
            USING ERRCODE = 'check_violation';
    END IF;
    IF legs < 2 THEN
        RAISE EXCEPTION 'Posting % has a single leg', NEW.posting_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION public.ledger_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    -- Only a test's clean-up (or an operator removing a whole test clinic) may delete, and says so.
    IF TG_OP = 'DELETE' AND current_setting('clinic.ledger_purge', true) = 'on' THEN
        RETURN OLD;
    END IF;
    -- A staff member's account removed: "who" becomes unknown (ON DELETE SET NULL), nothing else.
    IF TG_OP = 'UPDATE' AND NEW.actor_id IS NULL AND OLD.actor_id IS NOT NULL
       AND (to_jsonb(NEW) - 'actor_id') = (to_jsonb(OLD) - 'actor_id') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'The ledger is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'restrict_violation';
END;
$$;
"""

DROP = """
DROP FUNCTION IF EXISTS public.ledger_check_posting_balanced();
DROP FUNCTION IF EXISTS public.ledger_refuse_change();
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0002_extensions")]

    operations = [migrations.RunSQL(FUNCTIONS, DROP)]
