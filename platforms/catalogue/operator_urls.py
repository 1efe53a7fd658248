"""The operator console's platform pages (included from ``config/urls_public.py``)."""

from django.urls import path

from . import operator_views as views

urlpatterns = [
    path("operator/platforms/", views.platform_list, name="operator_platforms"),
    path("operator/platforms/new/", views.platform_create, name="operator_platform_create"),
    path("operator/platforms/<int:pk>/", views.platform_detail, name="operator_platform"),
    path("operator/platforms/<int:pk>/rotate/", views.platform_rotate, name="operator_platform_rotate"),
    path("operator/platforms/<int:pk>/products/new/", views.product_create, name="operator_product_create"),
    path("operator/products/<int:pk>/", views.product_edit, name="operator_product"),
    path("operator/products/<int:pk>/description.pdf", views.product_document, name="operator_product_pdf"),
    path("operator/enrolments/", views.enrolment_list, name="operator_enrolments"),
    path("operator/enrolments/<int:pk>/approve/", views.enrolment_approve, name="operator_enrolment_approve"),
    path("operator/enrolments/<int:pk>/decline/", views.enrolment_decline, name="operator_enrolment_decline"),
]
