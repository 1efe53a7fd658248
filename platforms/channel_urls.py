"""The clinic's value-added services: platforms, applications, channels and their inventory."""

from django.urls import path

from . import channel_views as views

urlpatterns = [
    path("channels/", views.channel_list, name="channel_list"),
    path("channels/<slug:code>/", views.channel_detail, name="channel_detail"),
    path("channels/<slug:code>/apply/", views.channel_apply, name="channel_apply"),
    path("channels/<slug:code>/products/<int:pk>/stock/", views.channel_stock, name="channel_stock"),
    path("channels/<slug:code>/products/<int:pk>/description.pdf", views.channel_product_pdf,
         name="channel_product_pdf"),
]
