"""The clinic's import of platform orders (``config.urls``)."""

from django.urls import path

from . import import_views

urlpatterns = [
    path("platform-orders/import/", import_views.order_import, name="platform_order_import"),
]
