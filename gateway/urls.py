from django.urls import path

from gateway import views

urlpatterns = [
    path("", views.home, name="home"),
    path("usage/", views.usage, name="usage"),
    path("usage/export.csv", views.usage_csv, name="usage_csv"),
    path("models/", views.models, name="model_catalog"),
    path("models/default/", views.set_default_model, name="set_default_model"),
    path("quickstart/", views.quickstart, name="quickstart"),
]
