from django.urls import path

from accounts import views

urlpatterns = [
    path("keys/", views.api_keys, name="api_keys"),
    path("keys/<int:token_id>/", views.edit_api_key, name="edit_api_key"),
    path("keys/<int:token_id>/toggle/", views.toggle_api_key, name="toggle_api_key"),
    path("keys/<int:token_id>/delete/", views.delete_api_key, name="delete_api_key"),
    path("settings/preferences/", views.preferences, name="preferences"),
    path("settings/security/", views.security, name="security"),
    path("settings/close/", views.close_account, name="close_account"),
    path("support/", views.support_tickets, name="support"),
    path("support/feedback/", views.support_feedback, name="support_feedback"),
    path("support/<int:ticket_id>/", views.support_ticket, name="support_ticket"),
    path("support/<int:ticket_id>/close/", views.close_support_ticket, name="support_close"),
    path("language/", views.set_language, name="set_language"),
]
