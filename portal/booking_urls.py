"""The portal's booking: calendars with free slots, booking, the company's bookings."""

from django.urls import path

from . import booking_views as views

urlpatterns = [
    path("portal/book/", views.book, name="portal_book"),
    path("portal/book/new/", views.booking_new, name="portal_booking_new"),
    path("portal/patients/", views.patient_search, name="portal_patient_search"),
    path("portal/bookings/", views.booking_list, name="portal_bookings"),
    path("portal/bookings/<slug:clinic>/<int:pk>/", views.booking_detail, name="portal_booking"),
    path("portal/bookings/<slug:clinic>/<int:pk>/cancel/", views.booking_cancel, name="portal_booking_cancel"),
    path("portal/bookings/<slug:clinic>/<int:pk>/move/", views.booking_move, name="portal_booking_move"),
]
