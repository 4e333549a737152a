from django.urls import path

from billing import views

urlpatterns = [
    path("", views.overview, name="billing"),
    path("topup/", views.topup, name="billing_topup"),
    path("redeem/", views.redeem, name="billing_redeem"),
    path("orders/", views.orders, name="billing_orders"),
    path("orders/<uuid:order_id>/", views.order_status, name="billing_order"),
    path("invoices/<str:number>/", views.invoice, name="billing_invoice"),
    path("profile/", views.billing_profile, name="billing_profile"),
]
