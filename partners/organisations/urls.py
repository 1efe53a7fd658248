from django.urls import path

from . import views

urlpatterns = [
    path("portal/", views.portal_home, name="portal_home"),
    path("portal/login/", views.PortalLoginView.as_view(), name="portal_login"),
    path("portal/logout/", views.portal_logout, name="portal_logout"),
    path("portal/password/", views.portal_password_change, name="portal_password_change"),
]
