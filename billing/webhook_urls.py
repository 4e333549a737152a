"""Provider webhooks, included at /billing/webhooks/ (the providers' dashboards name these)."""

from django.urls import path

from billing import webhooks

app_name = "billing_webhooks"

urlpatterns = [
    path("stripe/", webhooks.stripe_webhook, name="stripe"),
    path("creem/", webhooks.creem_webhook, name="creem"),
    path("zpay/", webhooks.zpay_notify, name="zpay"),
]
