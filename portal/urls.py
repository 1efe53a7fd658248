from django.urls import path

from . import account_views, views

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/login/", views.PortalLoginView.as_view(), name="portal_login"),
    path("portal/logout/", views.portal_logout, name="portal_logout"),
    path("portal/password/", views.portal_password_change, name="portal_password_change"),
    path("portal/register/<uidb64>/<token>/", views.portal_register, name="portal_register"),
    path("portal/terms/", views.portal_terms, name="portal_terms"),
    path("portal/invitations/<int:pk>/", views.invitation_answer, name="portal_invitation"),
    path("portal/users/", views.user_list, name="portal_users"),
    path("portal/users/new/", views.user_create, name="portal_user_create"),
    path("portal/users/<int:pk>/", views.user_edit, name="portal_user_edit"),
    path("portal/account/", account_views.account, name="portal_account"),
    path("portal/account/<slug:clinic>/<str:month>.pdf", account_views.account_pdf, name="portal_account_pdf"),
    path("portal/account/<slug:clinic>/<str:month>.xlsx", account_views.account_xlsx, name="portal_account_xlsx"),
]
