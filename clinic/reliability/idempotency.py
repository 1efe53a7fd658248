"""Forms that take money or book accept a submission once.

Each such form carries a key issued when it is rendered (``{% idempotency_key %}``);
``@idempotent`` on its view lets one request with that key through — the
database's unique constraint on the key decides, not a check in Python — and
gives any repetition (a double click, a proxy's retry, back-and-resubmit) the
answer the first one got, recording nothing new. A repetition that arrives while
the first is still running waits for its answer. A form shown again (an error)
gets a new key, so a corrected submission is a new one.
"""

from __future__ import annotations

import time
import uuid
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _

from .models import IdempotentRequest

FIELD = "idempotency_key"
WAIT_SECONDS = 15
# What a repetition gets back besides the body: where to go, and htmx's instructions.
KEPT_HEADERS = ("content-type", "location")


def issue_key() -> str:
    return str(uuid.uuid4())


def _scope(request) -> str:
    return f"{connection.schema_name}:{getattr(request.user, 'pk', '')}:{request.path}"[:300]


def _kept(response) -> dict:
    return {name: value for name, value in response.items()
            if name.lower() in KEPT_HEADERS or name.lower().startswith("hx-")}


def _replay(row: IdempotentRequest) -> HttpResponse:
    response = HttpResponse(bytes(row.content), status=row.status_code)
    for name, value in row.headers.items():
        response[name] = value
    response["Idempotent-Replayed"] = "true"
    return response


def _repeated(request, key: uuid.UUID, scope: str) -> HttpResponse:
    ends = time.monotonic() + WAIT_SECONDS
    while True:
        row = IdempotentRequest.objects.filter(key=key).first()
        if row is not None and row.scope != scope:
            return HttpResponse(_("This form was not issued for this page. Reload the page and try again."),
                                status=400, content_type="text/plain; charset=utf-8")
        if row is not None and row.status_code is not None:
            return _replay(row)
        if time.monotonic() > ends:
            return HttpResponse(_("This request is already being processed. Reload the page in a moment "
                                  "to see its result."), status=409, content_type="text/plain; charset=utf-8")
        time.sleep(0.1)


def idempotent(view):
    """Let a POST with a given ``idempotency_key`` act once; repetitions get the first answer."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        try:
            key = uuid.UUID(request.POST.get(FIELD, ""))
        except ValueError:
            return view(request, *args, **kwargs)  # a form without a key (an older page): as before
        scope = _scope(request)
        try:
            with transaction.atomic():
                IdempotentRequest.objects.create(key=key, scope=scope)
        except IntegrityError:
            return _repeated(request, key, scope)
        try:
            response = view(request, *args, **kwargs)
        except (Http404, PermissionDenied):
            # Refused before acting: the key may be used again.
            IdempotentRequest.objects.filter(key=key).delete()
            raise
        except BaseException:
            # Whatever the view did is kept as "failed": a retry with this key must not act again
            # (the form, reloaded, issues a new key).
            IdempotentRequest.objects.filter(key=key).update(
                status_code=500, content=_("Something went wrong. Reload the page to see what was saved.").encode(),
                headers={"Content-Type": "text/plain; charset=utf-8"})
            raise
        IdempotentRequest.objects.filter(key=key).update(
            status_code=response.status_code, content=response.content, headers=_kept(response))
        return response

    return wrapper
