from django.urls import path

from gateway import views

urlpatterns = [
    path("", views.usage, name="usage"),
]
