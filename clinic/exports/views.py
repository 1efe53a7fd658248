from django.http import FileResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from clinic.accounts.access import clinic_view
from clinic.errors import DomainError

from . import services
from .registry import EXPORTERS


@require_POST
@clinic_view()
def export_start(request, kind):
    from django.contrib import messages
    from django.http import Http404

    if kind not in EXPORTERS:
        raise Http404
    if not request.user.has_perm(EXPORTERS[kind].permission):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    try:
        export = services.start_export(kind, actor=request.user, data=request.POST)
    except DomainError as error:
        if request.htmx:  # shown where the progress bar would be
            return render(request, "exports/_refused.html", {"message": error.message}, status=422)
        messages.error(request, error.message)
        return redirect("home")
    if request.htmx:
        return render(request, "exports/_progress.html", {"export": export, "exporter": EXPORTERS[kind]})
    return redirect("export_status", pk=export.pk)


@clinic_view()
def export_status(request, pk):
    export = services.get_export_for(request.user, pk)
    template = "exports/_progress.html" if request.htmx else "exports/status.html"
    return render(request, template, {"export": export, "exporter": EXPORTERS[export.kind]})


@require_POST
@clinic_view()
def export_retry(request, pk):
    """"Try again" on a failed export: a new run with the same parameters, shown in its place."""
    export = services.get_export_for(request.user, pk)
    try:
        again = services.retry_export(export, actor=request.user)
    except DomainError as error:
        if request.htmx:
            return render(request, "exports/_refused.html", {"message": error.message}, status=422)
        from django.contrib import messages

        messages.error(request, error.message)
        return redirect("export_status", pk=export.pk)
    if request.htmx:
        return render(request, "exports/_progress.html", {"export": again, "exporter": EXPORTERS[again.kind]})
    return redirect("export_status", pk=again.pk)


@clinic_view()
def export_download(request, pk):
    from django.http import Http404

    export = services.get_export_for(request.user, pk)
    if export.status != export.Status.DONE or not export.file:
        raise Http404
    return FileResponse(export.file.open("rb"), as_attachment=True, filename=export.file_name)
