from django.urls import path

from . import views

urlpatterns = [
    path("barter/", views.policy_list, name="barter_policies"),
    path("barter/new/", views.policy_create, name="barter_policy_create"),
    path("barter/new/employees/", views.employees_create, name="barter_employees_create"),
    path("barter/patient-policies/", views.patient_policies, name="barter_patient_policies"),
    path("barter/report/", views.barter_report, name="barter_report"),
    path("barter/<int:pk>/", views.policy_detail, name="barter_policy"),
    path("barter/<int:pk>/review/", views.policy_review, name="barter_policy_review"),
    path("barter/<int:pk>/increase/", views.policy_increase, name="barter_policy_increase"),
    path("barter/<int:pk>/plan/", views.plan_item_add, name="barter_plan_item_add"),
    path("barter/<int:pk>/plan/approve/", views.plan_approve, name="barter_plan_approve"),
    path("barter/<int:pk>/plan/extra/", views.plan_extra, name="barter_plan_extra"),
    path("barter/<int:pk>/write-off/", views.policy_write_off, name="barter_write_off"),
    path("barter/<int:pk>/write-off.pdf", views.write_off_document, name="barter_write_off_document"),
    path("barter/agreements/", views.agreement_list, name="barter_agreements"),
    path("barter/agreements/new/", views.agreement_create, name="barter_agreement_create"),
    path("barter/agreements/<int:pk>/", views.agreement_edit, name="barter_agreement_edit"),
    path("barter/agreements/<int:pk>/document/", views.agreement_document, name="barter_agreement_document"),
]
