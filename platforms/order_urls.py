"""The front desk's platform orders, under /platform-orders/ on a clinic's site."""

from django.urls import path

from . import order_views as views

urlpatterns = [
    path("", views.order_list, name="platform_order_list"),
    path("awaiting/", views.orders_awaiting, name="platform_orders_awaiting"),
    path("badge/", views.order_badge, name="platform_order_badge"),
    path("<int:pk>/", views.order_detail, name="platform_order_detail"),
    path("<int:pk>/slots/", views.order_slots, name="platform_order_slots"),
    path("<int:pk>/confirm/", views.order_confirm, name="platform_order_confirm"),
    path("<int:pk>/bind/", views.order_bind, name="platform_order_bind"),
    path("<int:pk>/reconfirm/", views.order_reconfirm, name="platform_order_reconfirm"),
    path("<int:pk>/cancel/", views.order_cancel, name="platform_order_cancel"),
]
