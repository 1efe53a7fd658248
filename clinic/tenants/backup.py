"""A clinic's data in one archive, and back as a new clinic.

``backup_clinic`` writes ``<slug>-<UTC time>.tar.gz`` holding

- ``schema.sql``: ``pg_dump --schema`` of the clinic's schema (plain SQL, no owners or
  grants), every table, sequence, index and constraint with its rows;
- ``files/``: the clinic's uploaded and generated files (its media folder);
- ``manifest.json``: the clinic (slug, name, currency, time zone, language), when, the row
  count of every table, the sums of every money column of the ledger tables, and the
  SHA-256 of every other member.

``restore_clinic`` checks every checksum first, then loads the SQL in one transaction as a
new clinic: the dump names its schema, so the original (if it still exists) is renamed
aside for that transaction and back at its end — the dump is never edited — and compares
the restored row counts and ledger sums with the manifest before it commits. An archive
written by an older version of the code is brought up to this one's migrations before the
clinic is added (its schema is as old as it was; the pages would ask for columns it lacks);
if that fails, the loaded schema is dropped again.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django_tenants.utils import get_public_schema_name, schema_context

from clinic.errors import DomainError

from .models import Clinic, Domain

MANIFEST_VERSION = 1


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _pg_env() -> tuple[list[str], dict]:
    db = settings.DATABASES["default"]
    args = ["--dbname", db["NAME"]]
    if db.get("HOST"):
        args += ["--host", db["HOST"]]
    if db.get("PORT"):
        args += ["--port", str(db["PORT"])]
    if db.get("USER"):
        args += ["--username", db["USER"]]
    env = os.environ | ({"PGPASSWORD": db["PASSWORD"]} if db.get("PASSWORD") else {})
    return args, env


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def schema_figures(schema: str) -> dict:
    """Row counts of every table and the sums of every numeric column of the ledger
    tables (by name: whatever the ledger's shape, its money is compared)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = %s "
            "AND table_type = 'BASE TABLE' ORDER BY table_name", [schema])
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {_quote(schema)}.{_quote(table)}")
            counts[table] = cursor.fetchone()[0]
        sums = {}
        for table in (t for t in tables if "ledger" in t):
            cursor.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = %s AND table_name = %s "
                "AND data_type = 'numeric' ORDER BY column_name", [schema, table])
            for (column,) in cursor.fetchall():
                cursor.execute(f"SELECT coalesce(sum({_quote(column)}), 0)::text "
                               f"FROM {_quote(schema)}.{_quote(table)}")
                sums[f"{table}.{column}"] = cursor.fetchone()[0]
    return {"row_counts": counts, "ledger_sums": sums}


def _media_folder(clinic: Clinic) -> Path:
    from django.core.files.storage import default_storage

    with schema_context(clinic.schema_name):
        connection.tenant = clinic
        return Path(default_storage.path(""))


def backup_clinic(clinic: Clinic, directory: Path) -> Path:
    """Write the clinic's archive into ``directory``; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    args, env = _pg_env()
    dump = subprocess.run(
        ["pg_dump", *args, "--schema", clinic.schema_name, "--no-owner", "--no-privileges", "--format", "plain"],
        capture_output=True, env=env, check=False)
    if dump.returncode != 0:
        raise DomainError(f"pg_dump failed: {dump.stderr.decode(errors='replace').strip()}")
    with schema_context(get_public_schema_name()):
        figures = schema_figures(clinic.schema_name)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{clinic.slug}-{stamp}.tar.gz"
    media = _media_folder(clinic)
    members = {"schema.sql": _sha256(dump.stdout)}
    files = sorted(p for p in media.rglob("*") if p.is_file()) if media.is_dir() else []
    partial = path.with_suffix(".partial")
    with tarfile.open(partial, "w:gz") as archive:
        _add(archive, "schema.sql", dump.stdout)
        for file in files:
            data = file.read_bytes()
            name = "files/" + file.relative_to(media).as_posix()
            members[name] = _sha256(data)
            _add(archive, name, data)
        manifest = {
            "version": MANIFEST_VERSION,
            "clinic": {"slug": clinic.slug, "schema": clinic.schema_name, "name": clinic.name,
                       "currency": clinic.currency, "time_zone": clinic.time_zone,
                       "default_language": clinic.default_language},
            "created": datetime.now(UTC).isoformat(),
            **figures,
            "sha256": members,
        }
        _add(archive, "manifest.json", json.dumps(manifest, indent=2, sort_keys=True).encode())
    partial.rename(path)
    Path(f"{path}.sha256").write_text(f"{_sha256(path.read_bytes())}  {path.name}\n")
    return path


def _add(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    archive.addfile(info, io.BytesIO(data))


@dataclass
class Restored:
    clinic: Clinic
    tables: int
    rows: int


def read_archive(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and members of an archive, every checksum checked."""
    sidecar = Path(f"{path}.sha256")
    if sidecar.exists() and sidecar.read_text().split()[0] != _sha256(path.read_bytes()):
        raise DomainError("The archive does not match its .sha256 file: it was changed or cut short.")
    members: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as archive:
        for info in archive:
            if not info.isfile() or info.name.startswith("/") or ".." in Path(info.name).parts:
                raise DomainError(f"The archive holds an unexpected entry: {info.name}")
            members[info.name] = archive.extractfile(info).read()
    if "manifest.json" not in members or "schema.sql" not in members:
        raise DomainError("This is not a clinic archive (no manifest or no schema).")
    manifest = json.loads(members.pop("manifest.json"))
    if set(manifest["sha256"]) != set(members):
        raise DomainError("The archive's members do not match its manifest.")
    for name, digest in manifest["sha256"].items():
        if _sha256(members[name]) != digest:
            raise DomainError(f"{name} does not match its checksum in the manifest.")
    return manifest, members


def restore_clinic(path: Path, *, slug: str, name: str | None = None) -> Restored:
    """Bring an archive back as a new clinic ``slug`` (its own schema, domain and files)."""
    from .services import clinic_domain

    manifest, members = read_archive(path)
    slug = slug.strip().lower()
    from django.core.exceptions import ValidationError

    try:
        Clinic._meta.get_field("slug").run_validators(slug)
    except ValidationError as error:
        raise DomainError(" ".join(error.messages)) from error
    schema = "c_" + slug.replace("-", "_")
    original = manifest["clinic"]["schema"]
    if Clinic.objects.filter(slug=slug).exists() or Clinic.objects.filter(schema_name=schema).exists():
        raise DomainError(f"A clinic {slug} already exists.")
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema])
        if cursor.fetchone():
            raise DomainError(f"The schema {schema} already exists.")
    aside = f"{original}__restoring"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [original])
        moved = cursor.fetchone() is not None
    # psql runs pg_dump's script as written, in one transaction with the renames around it.
    script = ["\\set ON_ERROR_STOP on", "BEGIN;"]
    if moved:
        script.append(f"ALTER SCHEMA {_quote(original)} RENAME TO {_quote(aside)};")
    script += [members["schema.sql"].decode(),
               f"ALTER SCHEMA {_quote(original)} RENAME TO {_quote(schema)};"]
    if moved:
        script.append(f"ALTER SCHEMA {_quote(aside)} RENAME TO {_quote(original)};")
    script.append("COMMIT;")
    args, env = _pg_env()
    loaded = subprocess.run(["psql", *args, "--no-psqlrc", "--quiet", "--file", "-"],
                            input="\n".join(script).encode(), capture_output=True, env=env, check=False)
    if loaded.returncode != 0:
        raise DomainError(f"psql failed: {loaded.stderr.decode(errors='replace').strip()}")
    try:
        with schema_context(get_public_schema_name()):
            figures = schema_figures(schema)
            if figures["row_counts"] != manifest["row_counts"] or figures["ledger_sums"] != manifest["ledger_sums"]:
                raise DomainError("The restored clinic's row counts or ledger sums differ from the manifest.")
            _migrate(schema)  # before the clinic is served: never from a schema older than the code
            info = manifest["clinic"]
            with transaction.atomic():
                clinic = Clinic(schema_name=schema, slug=slug, name=name or info["name"],
                                currency=info["currency"], time_zone=info["time_zone"],
                                default_language=info["default_language"])
                clinic.auto_create_schema = False
                clinic.save()
                Domain.objects.create(domain=clinic_domain(slug), tenant=clinic, is_primary=True)
    except BaseException:
        with schema_context(get_public_schema_name()):
            with connection.cursor() as cursor:
                cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(schema)} CASCADE")
        raise
    media = _media_folder(clinic)
    for member, data in members.items():
        if member.startswith("files/"):
            target = media / member.removeprefix("files/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
    connection.set_schema_to_public()
    return Restored(clinic=clinic, tables=len(figures["row_counts"]), rows=sum(figures["row_counts"].values()))


def _migrate(schema: str) -> None:
    """The restored schema brought up to this code's migrations (nothing to do for an archive of
    the same version)."""
    from django.core.management import call_command

    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def prune_backups(directory: Path, slug: str, *, keep_days: int) -> list[Path]:
    """Remove this clinic's archives older than ``keep_days`` (the newest is always kept)."""
    archives = sorted(directory.glob(f"{slug}-*.tar.gz"))
    limit = datetime.now(UTC) - timedelta(days=keep_days)
    removed = []
    for archive in archives[:-1]:
        stamp = archive.name.removeprefix(f"{slug}-").removesuffix(".tar.gz")
        try:
            made = datetime.strptime(stamp, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        except ValueError:
            continue
        if made < limit:
            archive.unlink()
            Path(f"{archive}.sha256").unlink(missing_ok=True)
            removed.append(archive)
    return removed


def drop_clinic(clinic: Clinic) -> None:
    """Remove a clinic with its schema and files (for tests and a failed restore's clean-up)."""
    media = _media_folder(clinic)
    with schema_context(get_public_schema_name()):
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(clinic.schema_name)} CASCADE")
        Domain.objects.filter(tenant=clinic).delete()
        Clinic.objects.filter(pk=clinic.pk).delete()
    shutil.rmtree(media, ignore_errors=True)

