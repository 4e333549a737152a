from django.urls import path

from gateway import views

urlpatterns = [
    path("", views.playground_page, name="playground"),
    path("chat/", views.playground_chat, name="playground_chat"),
]
