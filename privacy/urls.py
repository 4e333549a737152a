from django.urls import path

from privacy import views

urlpatterns = [
    path("consent/", views.cookie_choices, name="cookie_choices"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("requests/", views.requests, name="privacy_requests"),
    path("request/", views.public_request, name="privacy_public_request"),
    path("request/verify/<str:token>/", views.confirm_request_email, name="privacy_verify"),
    path("exports/<str:token>/", views.download_export, name="privacy_export"),
    path("minor-report/", views.minor_report, name="privacy_minor_report"),
]
