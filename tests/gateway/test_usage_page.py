from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from django.test import Client

from accounts.models import ApiToken, User
from billing.money import to_nanos

pytestmark = pytest.mark.django_db


@pytest.fixture
def me(make_user_in: Callable[[str], User]) -> User:
    return make_user_in("Europe/Paris")


def csv_rows(response) -> list[list[str]]:
    """The rows of a streamed CSV response. The file is an async stream (under ASGI it goes
    out row by row); the synchronous test client reads it whole, with a warning we expect."""
    assert response.is_async
    with pytest.warns(Warning, match="must consume asynchronous iterators"):
        content = b"".join(response)
    return list(csv.reader(io.StringIO(content.decode())))


def test_users_see_their_own_usage_and_no_one_elses(
    client: Client, make_user: Callable, make_log: Callable
):
    me, other = make_user(), make_user()
    make_log(me)
    make_log(other, model="other-model")
    client.force_login(me)

    page = client.get("/usage/").content.decode()

    assert "gpt-test" in page
    assert "0.000026 USD" in page
    assert "other-model" not in page


def test_usage_can_be_filtered_by_model(client: Client, me: User, make_log: Callable):
    make_log(me, model="alpha")
    make_log(me, model="beta")
    client.force_login(me)

    page = client.get("/usage/?model=beta").content.decode()

    assert "<td>beta</td>" in page
    assert "<td>alpha</td>" not in page


def test_usage_can_be_filtered_by_days_of_the_users_time_zone(
    client: Client, me: User, make_log: Callable
):
    # 00:30 on 2 March in Paris, still 1 March in UTC.
    make_log(me, model="inside", created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC))
    # 23:30 on 1 March in Paris.
    make_log(me, model="before", created_at=datetime(2026, 3, 1, 22, 30, tzinfo=UTC))
    # 00:30 on 4 March in Paris.
    make_log(me, model="after", created_at=datetime(2026, 3, 3, 23, 30, tzinfo=UTC))
    client.force_login(me)

    page = client.get("/usage/?date_from=2026-03-02&date_to=2026-03-03").content.decode()

    assert "<td>inside</td>" in page
    assert "<td>before</td>" not in page
    assert "<td>after</td>" not in page


def test_usage_can_be_filtered_by_key(client: Client, me: User, make_log: Callable):
    first, _raw = ApiToken.objects.issue(user=me, name="first")
    second, _raw = ApiToken.objects.issue(user=me, name="second")
    make_log(me, model="by-first", api_token=first)
    make_log(me, model="by-second", api_token=second)
    client.force_login(me)

    page = client.get(f"/usage/?api_token={second.pk}").content.decode()

    assert "<td>by-second</td>" in page
    assert "<td>by-first</td>" not in page


def test_another_users_key_is_not_a_valid_filter(
    client: Client, me: User, make_user: Callable, make_log: Callable
):
    theirs, _raw = ApiToken.objects.issue(user=make_user(), name="theirs")
    make_log(me)
    client.force_login(me)

    response = client.get(f"/usage/?api_token={theirs.pk}")

    assert response.status_code == 400
    assert "Select a valid choice." in response.content.decode()


@pytest.mark.parametrize(
    "query",
    ["date_from=yesterday", "date_from=2026-03-05&date_to=2026-03-01", "model=unknown"],
)
def test_bad_filters_are_form_errors(client: Client, me: User, make_log: Callable, query: str):
    make_log(me)
    client.force_login(me)

    response = client.get(f"/usage/?{query}")

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert client.get(f"/usage/export.csv?{query}").status_code == 400


def test_pages_keep_the_filters(client: Client, me: User, make_log: Callable):
    for _ in range(51):
        make_log(me, model="alpha")
    make_log(me, model="beta")
    client.force_login(me)

    first = client.get("/usage/?model=alpha").content.decode()
    second = client.get("/usage/?model=alpha&page=2").content.decode()

    assert 'href="?model=alpha&amp;page=2"' in first
    assert first.count("<td>alpha</td>") == 50
    assert second.count("<td>alpha</td>") == 1


def test_the_csv_download_has_the_filtered_rows_in_the_users_time_zone(
    client: Client, me: User, make_user: Callable, make_log: Callable
):
    token, _raw = ApiToken.objects.issue(user=me, name="=cmd|' /C calc'!A0")
    make_log(
        me,
        model="alpha",
        api_token=token,
        created_at=datetime(2026, 3, 1, 23, 30, tzinfo=UTC),
        input_tokens=1000,
        output_tokens=250,
        cost=to_nanos("0.0125"),
    )
    make_log(me, model="beta")
    make_log(make_user(), model="alpha")
    client.force_login(me)

    response = client.get("/usage/export.csv?model=alpha")

    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tokengate-usage-')
    assert csv_rows(response) == [
        ["time", "key", "model", "status", "prompt_tokens", "completion_tokens", "cost_USD"],
        [
            "2026-03-02T00:30:00+01:00",
            "'=cmd|' /C calc'!A0",
            "alpha",
            "200",
            "1000",
            "250",
            "0.0125",
        ],
    ]


def test_the_usage_page_has_an_empty_state(client: Client, me: User):
    client.force_login(me)

    assert "No requests yet." in client.get("/usage/").content.decode()


def test_filters_matching_nothing_say_so(client: Client, me: User, make_log: Callable):
    make_log(me, model="alpha", created_at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    client.force_login(me)

    page = client.get("/usage/?date_from=2026-04-01").content.decode()

    assert "No requests match these filters." in page
