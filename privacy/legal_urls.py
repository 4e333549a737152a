from django.urls import path

from privacy import views

urlpatterns = [
    path("privacy/", views.legal_document, {"kind": "privacy"}, name="legal_privacy"),
    path("terms/", views.legal_document, {"kind": "terms"}, name="legal_terms"),
    path("cookies/", views.legal_document, {"kind": "cookies"}, name="legal_cookies"),
    path("acknowledge/", views.acknowledge_policy, name="legal_acknowledge"),
]
