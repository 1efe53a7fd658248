"""The platform's file between the upload and the column-mapping step: kept in the clinic's own
media folder under a random name tied to the user and the statement, so that correcting the
columns or skipping a totals row never asks for the file again, in whichever web process the
next request lands. Removed once imported; anything a day old goes at the next upload."""

from __future__ import annotations

import re
import time
import uuid

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

FOLDER = "reconciliation-pending"
MAX_AGE_SECONDS = 24 * 3600
TOKEN = re.compile(r"^[0-9a-f]{32}\.(xlsx|csv)$")


def _path(user, statement, token: str) -> str:
    return f"{FOLDER}/{user.pk}-{statement.pk}-{token}"


def keep(user, statement, content: bytes, extension: str) -> str:
    """Store the checked upload; returns the token the mapping form sends back."""
    _purge_old()
    token = f"{uuid.uuid4().hex}.{extension}"
    default_storage.save(_path(user, statement, token), ContentFile(content))
    return token


def load(user, statement, token: str) -> bytes | None:
    """The kept file of this user and statement, or None (unknown, someone else's, purged)."""
    if not TOKEN.match(token or ""):
        return None
    path = _path(user, statement, token)
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        return handle.read()


def forget(user, statement, token: str) -> None:
    if TOKEN.match(token or ""):
        default_storage.delete(_path(user, statement, token))


def _purge_old() -> None:
    try:
        _folders, files = default_storage.listdir(FOLDER)
    except FileNotFoundError:
        return
    now = time.time()
    for name in files:
        path = f"{FOLDER}/{name}"
        try:
            if now - default_storage.get_modified_time(path).timestamp() > MAX_AGE_SECONDS:
                default_storage.delete(path)
        except FileNotFoundError:
            continue
