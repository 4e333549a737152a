from django.urls import path

from privacy import views

urlpatterns = [
    path("", views.privacy_centre, name="privacy_centre"),
    path("consents/", views.change_consent, name="privacy_change_consent"),
    path("export/", views.request_export, name="privacy_request_export"),
    path("cookies/", views.cookie_settings, name="cookie_settings"),
    path("consent/", views.cookie_choices, name="cookie_choices"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("requests/", views.requests, name="privacy_requests"),
    path("request/", views.public_request, name="privacy_public_request"),
    path("request/verify/<str:token>/", views.confirm_request_email, name="privacy_verify"),
    path("exports/<str:token>/", views.download_export, name="privacy_export"),
    path("minor-report/", views.minor_report, name="privacy_minor_report"),
]
