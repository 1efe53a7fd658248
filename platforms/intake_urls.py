"""The platforms' order intake, on the public host (``config.urls_public``)."""

from django.urls import path

from . import intake_views

urlpatterns = [
    path("api/platforms/<str:code>/orders", intake_views.receive_orders, name="platform_order_intake"),
]
