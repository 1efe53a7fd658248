from django.urls import path

from . import views

urlpatterns = [
    path("barter/", views.policy_list, name="barter_policies"),
    path("barter/new/", views.policy_create, name="barter_policy_create"),
    path("barter/<int:pk>/", views.policy_detail, name="barter_policy"),
    path("barter/<int:pk>/review/", views.policy_review, name="barter_policy_review"),
    path("barter/<int:pk>/increase/", views.policy_increase, name="barter_policy_increase"),
    path("barter/agreements/", views.agreement_list, name="barter_agreements"),
    path("barter/agreements/new/", views.agreement_create, name="barter_agreement_create"),
    path("barter/agreements/<int:pk>/", views.agreement_edit, name="barter_agreement_edit"),
    path("barter/agreements/<int:pk>/document/", views.agreement_document, name="barter_agreement_document"),
]
