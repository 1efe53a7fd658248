"""A clinic's schema is an exact copy of the template: structure, names and data."""

import re

import pytest
from django.conf import settings
from django.db import connection

from clinic.tenants import cloning
from clinic.tenants.services import create_clinic
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

# Everything a migration can later refer to by name, written relative to the schema itself.
CATALOGUE = {
    "columns": """
        SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
               pg_get_expr(d.adbin, d.adrelid, true), a.attidentity, a.attgenerated, a.attcollation
          FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
         WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
    """,
    "constraints": """
        SELECT r.relname, k.conname, k.contype, pg_get_constraintdef(k.oid, true)
          FROM pg_constraint k JOIN pg_class r ON r.oid = k.conrelid
         WHERE k.connamespace = %s::regnamespace
    """,
    "indexes": """
        SELECT c.relname, pg_get_indexdef(c.oid, 0, true) FROM pg_class c
         WHERE c.relnamespace = %s::regnamespace AND c.relkind = 'i'
    """,
    "sequences": """
        SELECT c.relname, s.seqtypid, s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle,
               d.deptype, pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
          FROM pg_class c JOIN pg_sequence s ON s.seqrelid = c.oid
          LEFT JOIN pg_depend d ON d.objid = c.oid AND d.classid = 'pg_class'::regclass
                               AND d.refclassid = 'pg_class'::regclass
         WHERE c.relnamespace = %s::regnamespace
    """,
}


def same_cast(text):
    """PostgreSQL's deparser is not idempotent for a cast array literal.

    ``ARRAY['a'::varchar]::text[]`` (as Django's migration wrote it) reads back
    as ``ARRAY['a'::varchar::text]``: the same predicate, spelled otherwise.
    """
    text = re.sub(r"::character varying::text", "::character varying", text)
    return text.replace("]::text[]", "]")


def describe(schema):
    with connection.cursor() as cursor:
        cursor.execute(f'SET search_path = "{schema}", public')
        described = {}
        for name, sql in CATALOGUE.items():
            cursor.execute(sql, [schema])
            described[name] = sorted(same_cast(repr(row)) for row in cursor.fetchall())
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' ORDER BY 1",
            [schema],
        )
        tables = [table for (table,) in cursor.fetchall()]
        described["rows"] = {}
        for table in tables:
            cursor.execute(f'SELECT md5(string_agg(t::text, \',\' ORDER BY t::text)) FROM "{table}" t')
            described["rows"][table] = cursor.fetchone()[0]
    connection.set_schema_to_public()
    return described


def test_a_new_clinic_is_an_exact_copy_of_the_template():
    cloning.forget_scripts()
    new = create_clinic(
        slug="delta", name="Delta", currency="EUR", time_zone="UTC", language="en", admin_email="boss@delta.example"
    ).clinic
    assert cloning._cache[settings.TENANT_BASE_SCHEMA].tables > 30  # cloned by the script, no fallback
    template, clone = describe(settings.TENANT_BASE_SCHEMA), describe(new.schema_name)
    assert clone["columns"] == template["columns"]
    assert clone["constraints"] == template["constraints"]
    assert clone["indexes"] == template["indexes"]
    assert clone["sequences"] == template["sequences"]
    # Same rows in every table but those the first manager adds to (and the audit entry of that).
    differing = {table for table in template["rows"] if template["rows"][table] != clone["rows"][table]}
    assert differing <= {"accounts_user", "accounts_user_groups", "auditlog_logentry"}
    assert len(template["constraints"]) > 50 and any("EXCLUDE" in row for row in template["constraints"])


def test_a_clone_has_sequences_of_its_own_that_continue_after_the_copied_rows():
    new = create_clinic(
        slug="epsilon", name="Epsilon", currency="EUR", time_zone="UTC", language="en", admin_email="a@e.example"
    ).clinic
    connection.set_tenant(new)
    from django.contrib.auth.models import Group

    Group.objects.create(name="extra")  # the identity continues after the template's groups
    first = PatientFactory()
    first.refresh_from_db()
    assert first.number == 1000
    with connection.cursor() as cursor:
        cursor.execute("SELECT last_value FROM clinic_template.patients_patient_number_seq")
        assert cursor.fetchone()[0] == 1000  # untouched: the clone's sequence is its own
    connection.set_schema_to_public()


def test_a_template_with_unsupported_objects_falls_back_to_django_tenants(monkeypatch):
    def refuse(cursor, namespace):
        raise cloning.UnsupportedTemplate("template holds function f")

    cloning.forget_scripts()
    monkeypatch.setattr(cloning, "_refuse_other_objects", refuse)
    new = create_clinic(
        slug="zeta", name="Zeta", currency="EUR", time_zone="UTC", language="en", admin_email="a@z.example"
    ).clinic
    connection.set_tenant(new)
    from clinic.models import Service

    assert Service.objects.count() == 0
    connection.set_schema_to_public()
    cloning.forget_scripts()
