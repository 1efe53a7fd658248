from django.urls import include, path

from . import views

urlpatterns = [
    path("patients/<int:pk>/statement/", views.patient_statement, name="patient_statement"),
    path("patients/<int:pk>/cashier/", views.cashier, name="cashier"),
    path("patients/<int:pk>/deposits/new/", views.deposit_new, name="deposit_new"),
    path("patients/<int:pk>/visits/new/", views.visit_new, name="visit_new"),
    path("patients/<int:pk>/tasks/new/", views.activity_new, name="activity_new"),
    path("patients/<int:pk>/appointments/new/", views.appointment_quick, name="appointment_quick"),
    path("payments/<int:pk>/refund/", views.payment_refund, name="payment_refund"),
    path("deposits/<int:pk>/refund/", views.deposit_refund, name="deposit_refund"),
    path("visits/from-appointment/<int:pk>/", views.appointment_visit, name="appointment_visit"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/lines/", views.line_add, name="line_add"),
    path("visits/<int:pk>/close/", views.visit_close, name="visit_close"),
    path("lines/<int:pk>/void/", views.line_void, name="line_void"),
    path("lines/<int:pk>/payer/", views.line_payer, name="line_payer"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("tasks/<int:pk>/finish/", views.activity_finish, name="activity_finish"),
    path("promotions/", views.promotion_list, name="promotion_list"),
    path("promotions/new/", views.promotion_create, name="promotion_create"),
    path("promotions/<int:pk>/", views.promotion_edit, name="promotion_edit"),
    path("settings/club/", views.club_settings, name="club_settings"),
    path("", include("billing.urls_documents")),
    path("", include("billing.urls_reports")),
    path("", include("billing.barter.urls")),
]
