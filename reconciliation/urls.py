from django.urls import path

from . import views

app_name = "reconciliation"

urlpatterns = [
    path("", views.statement_list, name="statements"),
    path("generate/", views.statement_generate, name="statement_generate"),
    path("generate/status/", views.statement_generation, name="statement_generation"),
    path("statements/<int:pk>/", views.statement_detail, name="statement_detail"),
    path("statements/<int:pk>/import/", views.statement_import, name="statement_import"),
    path("statements/<int:pk>/import/columns/", views.statement_import_mapping, name="statement_import_mapping"),
    path("statements/<int:pk>/verify/", views.statement_verify, name="statement_verify"),
    path("statements/<int:pk>/unverify/", views.statement_unverify, name="statement_unverify"),
    path("differences/<int:pk>/resolve/", views.difference_resolve, name="difference_resolve"),
    path("report/", views.channel_report, name="channel_report"),
    path("report/presets/", views.report_preset_save, name="report_preset_save"),
    path("report/presets/<int:pk>/delete/", views.report_preset_delete, name="report_preset_delete"),
]
