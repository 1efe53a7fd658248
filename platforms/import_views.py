"""The clinic's import of platform orders from a file (platforms without an API)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clinic.accounts.access import clinic_view
from clinic.pricelist import SHOWN_ERRORS
from clinic.uploads import CheckedFileField, upload_view

from .catalogue.models import Platform
from .order_import import COLUMNS, OrdersRejected, approved_platforms, import_orders


class OrderImportForm(forms.Form):
    platform = forms.ModelChoiceField(label=_("Platform"), queryset=Platform.objects.none())
    file = CheckedFileField("platform_orders", label=_("Orders file (.xlsx or .csv)"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only the platforms the clinic is enrolled with: another's is "not one of the choices".
        self.fields["platform"].queryset = approved_platforms()


@clinic_view("platforms.import_platformorders")
@upload_view("platform_orders")
def order_import(request):
    form = OrderImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]  # a CheckedUpload: its kind is from the content
        platform = form.cleaned_data["platform"]
        try:
            orders = import_orders(platform, upload.content, kind=upload.kind, file_name=upload.original_name,
                                   actor=request.user)
        except OrdersRejected as rejected:
            errors = rejected.errors
        else:
            messages.success(request, ngettext(
                "%(count)s order of %(platform)s imported: it awaits confirmation.",
                "%(count)s orders of %(platform)s imported: they await confirmation.",
                len(orders)) % {"count": len(orders), "platform": platform.name})
            return redirect("platform_order_import")
    return render(request, "platforms/order_import.html", {
        "form": form, "columns": [label for _key, label in COLUMNS], "errors": errors[:SHOWN_ERRORS],
        "error_count": len(errors), "more_errors": max(len(errors) - SHOWN_ERRORS, 0),
        "enrolled": form.fields["platform"].queryset.exists()})
