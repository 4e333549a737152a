from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client

from accounts.models import ApiToken, User
from billing import ledger
from billing.money import to_nanos

pytestmark = pytest.mark.django_db

# 11:30 on 15 November in Tokyo (UTC+9), the user's time zone.
NOW = datetime(2026, 11, 15, 2, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def me(make_user_in: Callable[[str], User]) -> User:
    return make_user_in("Asia/Tokyo")


def chart_of(page: str) -> dict[str, Any]:
    start = page.index('<script id="usage-chart-data" type="application/json">')
    data = page[page.index(">", start) + 1 : page.index("</script>", start)]
    return json.loads(data)


def test_anonymous_visitors_get_the_landing_page(client: Client):
    response = client.get("/")

    assert response.status_code == 200
    assert "accounts/landing.html" in [template.name for template in response.templates]


def test_the_dashboard_shows_balance_spend_requests_today_and_keys(
    client: Client, me: User, make_log: Callable
):
    ledger.adjust_balance(
        user_id=me.pk, amount=to_nanos("12.5"), reason="test", actor_id=None, idempotency_key="d"
    )
    ApiToken.objects.issue(user=me, name="one")
    ApiToken.objects.issue(user=me, name="two")
    ApiToken.objects.playground_for(me)  # the playground's identity is not a key
    # 01:00 on 15 November in Tokyo: today there, though still the 14th in UTC.
    make_log(me, created_at=datetime(2026, 11, 14, 16, 0, tzinfo=UTC), cost=to_nanos("0.5"))
    # 23:00 on 14 November in Tokyo: this month, not today.
    make_log(me, created_at=datetime(2026, 11, 14, 14, 0, tzinfo=UTC), cost=to_nanos("0.25"))
    # 23:00 on 31 October in Tokyo: last month.
    make_log(me, created_at=datetime(2026, 10, 31, 14, 0, tzinfo=UTC), cost=to_nanos("4"))
    client.force_login(me)

    response = client.get("/")

    summary = response.context["summary"]
    assert (summary.balance, summary.spent_this_month) == (to_nanos("12.5"), to_nanos("0.75"))
    assert (summary.requests_today, summary.keys) == (1, 2)
    page = response.content.decode()
    assert "12.50 USD" in page
    assert "0.75 USD" in page


def test_the_chart_stacks_30_days_of_requests_by_model(
    client: Client, me: User, make_log: Callable
):
    make_log(me, model="alpha", created_at=NOW)
    make_log(me, model="alpha", created_at=NOW)
    make_log(me, model="beta", created_at=NOW - timedelta(days=1))
    make_log(me, model="beta", created_at=NOW - timedelta(days=29))
    make_log(me, model="too-old", created_at=NOW - timedelta(days=30))
    client.force_login(me)

    chart = chart_of(client.get("/").content.decode())

    assert len(chart["labels"]) == 30
    assert chart["labels"][-1] == "November 15"
    series = {dataset["label"]: dataset["data"] for dataset in chart["datasets"]}
    assert set(series) == {"alpha", "beta"}
    assert series["alpha"] == [0] * 29 + [2]
    assert series["beta"] == [1] + [0] * 27 + [1, 0]


def test_the_chart_has_a_table_of_the_same_figures(client: Client, me: User, make_log: Callable):
    make_log(me, model="alpha", created_at=NOW, cost=to_nanos("0.125"))
    client.force_login(me)

    page = client.get("/").content.decode()

    assert "<td>alpha</td>" in page
    assert "0.125 USD" in page
    assert 'src="/static/vendor/chart.js-4.6.1/chart.umd.min.js"' in page
    assert 'src="/static/js/dashboard.js"' in page


def test_the_dashboard_shows_no_one_elses_usage(
    client: Client, me: User, make_user: Callable[..., User], make_log: Callable
):
    other = make_user()
    make_log(other, model="theirs", created_at=NOW, cost=to_nanos("3"))
    ApiToken.objects.issue(user=other, name="theirs")
    client.force_login(me)

    response = client.get("/")

    summary = response.context["summary"]
    assert (summary.spent_this_month, summary.requests_today, summary.keys) == (0, 0, 0)
    assert "theirs" not in response.content.decode()


def test_new_users_see_an_empty_state_with_quick_links(client: Client, me: User):
    client.force_login(me)

    page = client.get("/").content.decode()

    assert "No requests in the last 30 days." in page
    assert "<canvas" not in page
    for link in ('href="/keys/"', 'href="/quickstart/"', 'href="/playground/"', 'href="/billing/"'):
        assert link in page
