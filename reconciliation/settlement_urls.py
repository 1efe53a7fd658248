"""The clinic's quarterly settlement screens, under /settlement/ (config/urls.py)."""

from django.urls import path

from . import settlement_views as views

urlpatterns = [
    path("", views.settlement_home, name="settlement_home"),
    path("platforms/<int:platform_pk>/start/", views.settlement_start, name="settlement_start"),
    path("batches/<int:pk>/summary.pdf", views.settlement_summary_pdf, name="settlement_summary_pdf"),
    path("vouchers/", views.shop_vouchers, name="shop_vouchers"),
    path("vouchers/order/", views.shop_order, name="shop_order"),
]
