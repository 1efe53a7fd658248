"""The clinic's partner screens: partners, their terms and the traffic channels."""

from django.urls import path

from . import views

urlpatterns = [
    path("partners/", views.partner_list, name="partner_list"),
    path("partners/new/", views.partner_create, name="partner_create"),
    path("partners/<int:pk>/", views.partner_edit, name="partner_edit"),
    path("partners/<int:pk>/remove/", views.partner_remove, name="partner_remove"),
    path("partners/channels/", views.traffic_channels, name="traffic_channels"),
]
