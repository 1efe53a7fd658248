"""Backups a clinic can trust: the demo clinic round-trips through backup_clinic and
restore_clinic with every table's row count and the ledger's sums equal, its files
back, and a tampered archive refused."""

import tarfile
import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command

from clinic.errors import DomainError

pytestmark = pytest.mark.django_db


def committed(work):
    """Run ``work()`` on a connection of its own, committed (pg_dump and psql are other
    sessions: they see only committed rows)."""
    from django.db import connections

    outcome = {}

    def target():
        try:
            outcome["value"] = work()
        except BaseException as exc:
            outcome["error"] = exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=target)
    thread.start()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture(scope="module")
def demo_clinic(django_db_setup, django_db_blocker):
    from clinic.tenants.backup import drop_clinic
    from clinic.tenants.models import Clinic
    from clinic.tenants.services import create_clinic

    slug = f"bk{uuid.uuid4().hex[:6]}"
    made = []

    def build():
        create_clinic(slug=slug, name="Backup Demo", currency="MDL", time_zone="Europe/Chisinau", language="ro",
                      admin_email=f"manager@{slug}.example", password="backup-demo-pw")
        call_command("seed_demo", clinic=slug, verbosity=0)
        from django.core.files.base import ContentFile
        from django_tenants.utils import tenant_context

        from billing.barter.models import Agreement
        from tests.factories import one_page_pdf

        clinic = Clinic.objects.get(slug=slug)
        with tenant_context(clinic):
            agreement = Agreement.objects.order_by("pk").first()
            agreement.document.save("signed.pdf", ContentFile(one_page_pdf()))
        return clinic

    with django_db_blocker.unblock():
        before = committed(public_rows)
        clinic = committed(build)
        made.append(clinic.slug)
        yield clinic, made
        for each in made:
            committed(lambda each=each: [drop_clinic(c) for c in Clinic.objects.filter(slug=each)])
        committed(lambda: remove_public_rows_since(before))


# What the demo adds to the public schema beside its clinic (the platforms with their products and
# secrets, the partner companies with their users), children first: removed again once the
# module is done, so a later test may create a platform called "alipay" (any order of tests).
PUBLIC_DEMO_TABLES = (
    ("platform_catalogue.ProductService", "product__platform"),
    ("platform_catalogue.Product", "platform"),
    ("platform_catalogue.SigningSecret", "platform"),
    ("platform_catalogue.Enrolment", "platform"),
    ("platform_catalogue.Platform", None),
    ("partner_organisations.TermsAcceptance", "organisation"),
    ("partner_organisations.ClinicLink", "organisation"),
    ("partner_organisations.PartnerUser", "organisation"),
    ("partner_organisations.PartnerOrganisation", None),
)


def public_rows() -> dict[str, set[int]]:
    from django.apps import apps

    return {label: set(apps.get_model(label).objects.values_list("pk", flat=True))
            for label in ("platform_catalogue.Platform", "partner_organisations.PartnerOrganisation")}


def remove_public_rows_since(before: dict[str, set[int]]) -> None:
    """Delete, in the public schema, the platforms and partner companies made since ``before``
    with what hangs on them (raw deletes: the ORM's collector would look for their orders in
    clinic tables that are not in the public schema)."""
    from django.apps import apps
    from django.db import connection
    from django_tenants.utils import schema_context

    with schema_context("public"):
        new = {label: set(apps.get_model(label).objects.values_list("pk", flat=True)) - known
               for label, known in before.items()}
        users = list(apps.get_model("partner_organisations.PartnerUser").objects
                     .filter(organisation__in=new["partner_organisations.PartnerOrganisation"])
                     .values_list("user_id", flat=True))
        for label, path in PUBLIC_DEMO_TABLES:
            model = apps.get_model(label)
            parent = "platform_catalogue.Platform" if label.startswith("platform") else \
                "partner_organisations.PartnerOrganisation"
            rows = model.objects.filter(**{f"{path}__in" if path else "pk__in": new[parent]})
            sql, params = rows.values("pk").query.sql_with_params()
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {model._meta.db_table} WHERE id IN ({sql})", params)
        user_model = apps.get_model("accounts.User")
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {user_model._meta.db_table} WHERE id = ANY(%s)", [users])


def test_the_demo_clinic_round_trips_with_equal_row_counts_ledger_sums_and_files(demo_clinic, tmp_path):
    from clinic.tenants.backup import backup_clinic, read_archive, restore_clinic, schema_figures
    from clinic.tenants.models import Clinic

    clinic, made = demo_clinic
    archive = committed(lambda: backup_clinic(clinic, tmp_path))
    manifest, members = read_archive(archive)
    assert manifest["row_counts"]["patients_patient"] > 10
    assert manifest["row_counts"]["billing_ledgerentry"] > 50
    assert any(value != "0" and value != "0.00" for value in manifest["ledger_sums"].values())
    assert any(name.startswith("files/") for name in members)

    new_slug = f"{clinic.slug}r"
    made.append(new_slug)
    restored = committed(lambda: restore_clinic(archive, slug=new_slug))
    assert restored.clinic.slug == new_slug and restored.clinic.currency == "MDL"
    original = committed(lambda: schema_figures(clinic.schema_name))
    copy = committed(lambda: schema_figures(restored.clinic.schema_name))
    assert copy == original == {"row_counts": manifest["row_counts"], "ledger_sums": manifest["ledger_sums"]}

    def read_back():
        from django_tenants.utils import tenant_context

        from billing.barter.models import Agreement

        with tenant_context(Clinic.objects.get(slug=new_slug)):
            document = Agreement.objects.exclude(document="").get().document
            with document.open("rb") as handle:
                return handle.read(5), document.path

    head, path = committed(read_back)
    assert head == b"%PDF-" and f"/{restored.clinic.schema_name}/" in path
    # The original clinic is untouched and still served.
    assert committed(lambda: Clinic.objects.get(slug=clinic.slug).schema_name) == clinic.schema_name


def test_a_tampered_archive_is_refused(demo_clinic, tmp_path):
    from clinic.tenants.backup import backup_clinic, restore_clinic

    clinic, _made = demo_clinic
    archive = committed(lambda: backup_clinic(clinic, tmp_path))
    with tarfile.open(archive) as original, tarfile.open(tmp_path / "bad.tar.gz", "w:gz") as bad:
        for info in original:
            data = original.extractfile(info).read()
            if info.name == "schema.sql":
                data = data.replace(b"COPY", b"COPY", 1) + b"\n-- changed\n"
                info.size = len(data)
            import io

            bad.addfile(info, io.BytesIO(data))
    with pytest.raises(DomainError, match="does not match its checksum"):
        restore_clinic(tmp_path / "bad.tar.gz", slug=f"{clinic.slug}x")


def test_old_nightly_archives_are_pruned_and_the_newest_kept(tmp_path):
    from clinic.tenants.backup import prune_backups

    now = datetime.now(UTC)
    names = [f"demo-{(now - timedelta(days=days)).strftime('%Y%m%dT%H%M%SZ')}.tar.gz" for days in (40, 20, 3, 1)]
    for name in names:
        (tmp_path / name).write_bytes(b"x")
        (tmp_path / f"{name}.sha256").write_text("x")
    (tmp_path / "other-20000101T000000Z.tar.gz").write_bytes(b"x")
    removed = prune_backups(tmp_path, "demo", keep_days=14)
    assert sorted(path.name for path in removed) == sorted(names[:2])
    assert sorted(p.name for p in tmp_path.glob("*.tar.gz")) == sorted(names[2:] + ["other-20000101T000000Z.tar.gz"])


def test_the_nightly_beat_task_archives_each_clinic_and_keeps_the_retention(tenant, settings, tmp_path):
    from pathlib import Path

    from clinic.tenants.tasks import nightly_backup

    assert any(entry["task"] == "clinic.tenants.tasks.nightly_backup"
               for entry in settings.CELERY_BEAT_SCHEDULE.values())
    settings.BACKUP_DIR = tmp_path
    settings.BACKUP_RETENTION_DAYS = 14
    old = tmp_path / "alpha-20000101T000000Z.tar.gz"
    old.write_bytes(b"old")
    path = Path(nightly_backup())
    assert path.exists() and path.name.startswith("alpha-") and Path(f"{path}.sha256").exists()
    assert not old.exists()


def test_an_archive_of_an_older_version_is_brought_up_to_this_ones_migrations(demo_clinic, tmp_path):
    """A clinic backed up before the last migration (here: scheduling's 0002 undone in its schema)
    restores with that migration applied: the appointment pages would otherwise ask for a column the
    old schema lacks."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder
    from django_tenants.utils import schema_context

    from clinic.tenants.backup import backup_clinic, restore_clinic

    clinic, made = demo_clinic

    def migrate(*target):
        call_command("migrate_schemas", *target, schema_name=clinic.schema_name, interactive=False, verbosity=0)

    committed(lambda: migrate("scheduling", "0001"))
    try:
        archive = committed(lambda: backup_clinic(clinic, tmp_path))
    finally:
        committed(migrate)  # the shared clinic as it was
    new_slug = f"{clinic.slug}m"
    made.append(new_slug)
    restored = committed(lambda: restore_clinic(archive, slug=new_slug))

    def applied():
        with schema_context(restored.clinic.schema_name):
            names = set(MigrationRecorder.Migration.objects.filter(app="scheduling").values_list("name", flat=True))
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_schema = %s "
                               "AND table_name = 'scheduling_appointment' AND column_name = 'notices'",
                               [restored.clinic.schema_name])
                return names, cursor.fetchone() is not None

    names, has_notices = committed(applied)
    assert "0002_appointment_notices" in names and has_notices
