from django.urls import path

from . import redemption_views as views

urlpatterns = [
    path("platform-orders/<int:pk>/xray/", views.order_image, name="platform_order_image"),
    path("platform-orders/<int:pk>/xray/upload/", views.order_image_upload, name="platform_order_image_upload"),
    path("platform-orders/<int:pk>/redeem/", views.order_redeem, name="platform_order_redeem"),
]
