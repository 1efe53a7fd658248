"""The operator's settlement console, under /operator/settlements/ (config/urls_public.py).

Beside the payouts app, not in it: payouts holds the public models the settlement services
use, so it must not import those services back (no cycles between sibling modules)."""

from django.urls import path

from . import operator_views as views

urlpatterns = [
    path("", views.settlement_requests, name="operator_settlements"),
    path("<int:pk>/", views.settlement_request_detail, name="operator_settlement_detail"),
    path("<int:pk>/invoice-received/", views.settlement_invoice_received, name="operator_settlement_invoice"),
    path("<int:pk>/pay/", views.settlement_pay, name="operator_settlement_pay"),
    path("windows/", views.settlement_windows, name="operator_settlement_windows"),
    path("shop/", views.shop_items, name="operator_shop_items"),
    path("shop/<int:pk>/", views.shop_item_edit, name="operator_shop_item"),
]
