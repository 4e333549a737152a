from django.conf import settings
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path
from django.views.static import serve

urlpatterns: list[URLPattern | URLResolver] = [
    path("admin/", admin.site.urls),
    path("api/", include("config.api")),
    path("accounts/", include("allauth.urls")),
    path("billing/webhooks/", include("billing.webhook_urls")),
    path("billing/", include("billing.urls")),
    path("playground/", include("gateway.playground_urls")),
    path("privacy/", include("privacy.urls")),
    path("legal/", include("privacy.legal_urls")),
    path("", include("gateway.urls")),
    path("", include("accounts.urls")),
]

if settings.DEBUG:
    urlpatterns.append(path("media/<path:path>", serve, {"document_root": settings.MEDIA_ROOT}))
