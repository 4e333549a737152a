"""Every admin page a superuser can open renders (a smoke test for templates and masks)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib import admin
from django.test import Client

pytestmark = pytest.mark.django_db
PAGES = sorted(f"{m._meta.app_label}/{m._meta.model_name}" for m in admin.site._registry)


@pytest.mark.parametrize("page", PAGES)
def test_the_list_and_add_pages_render(make_user: Callable, page: str):
    client = Client()
    client.force_login(make_user("root@example.com", superuser=True))

    assert client.get(f"/admin/{page}/").status_code == 200
    assert client.get(f"/admin/{page}/add/").status_code in (200, 403)


def test_the_record_pages_with_workflow_buttons_render(make_user: Callable):
    from privacy import dsar
    from privacy.models import BreachIncident, PolicyDocument

    root = make_user("root@example.com", superuser=True)
    client = Client()
    client.force_login(root)
    dsr = dsar.submit_request(
        kind="access", regime="ccpa", details="", language="en", email="a@example.com"
    )
    incident = BreachIncident.objects.create(
        description="d", became_aware_at=dsr.received_at, risk="high", data_categories=["contact"]
    )
    document = PolicyDocument.objects.create(
        kind="terms", version=1, language="en", title="Terms", body="b"
    )

    for url in (
        f"/admin/privacy/datasubjectrequest/{dsr.pk}/change/",
        f"/admin/privacy/datasubjectrequest/{dsr.pk}/step/extend/",
        "/admin/privacy/datasubjectrequest/ccpa-metrics/",
        f"/admin/privacy/breachincident/{incident.pk}/change/",
        f"/admin/privacy/breachincident/{incident.pk}/notify-authority/",
        f"/admin/privacy/policydocument/{document.pk}/change/",
        f"/admin/privacy/policydocument/{document.pk}/publish/",
        f"/admin/accounts/user/{root.pk}/access-log/",
    ):
        assert client.get(url).status_code == 200, url
