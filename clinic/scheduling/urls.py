from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.calendar_day, name="calendar_day"),
    path("calendar/week/", views.calendar_week, name="calendar_week"),
    path("reception/", views.reception, name="reception"),
    path("appointments/new/", views.appointment_new, name="appointment_new"),
    path("appointments/free/", views.free_slots, name="free_slots"),
    path("appointments/<int:pk>/", views.appointment_detail, name="appointment_detail"),
    path("appointments/<int:pk>/move/", views.appointment_reschedule, name="appointment_reschedule"),
    path("appointments/<int:pk>/<str:action>/", views.appointment_action, name="appointment_action"),
]
