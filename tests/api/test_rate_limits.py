"""API-RATE: 100 requests a minute per API key (or user), a separate 300 on message endpoints,
headers on every answer, 429 with Retry-After past the limit, one count across processes."""

import time

import pytest

from accounts import services as account_services
from tests.api.conftest import error_of
from tests.factories import conversation_with_customer

pytestmark = pytest.mark.django_db


def _limit_headers(response) -> tuple[int, int, int]:
    return (
        int(response["X-RateLimit-Limit"]),
        int(response["X-RateLimit-Remaining"]),
        int(response["X-RateLimit-Reset"]),
    )


def test_the_101st_request_in_a_minute_is_refused_with_the_right_headers(api, personas):
    api = api.as_user(personas.agent_a)
    started = time.time()
    resets = set()
    for n in range(1, 101):
        response = api.get("/conversations")
        assert response.status_code == 200
        limit, remaining, reset = _limit_headers(response)
        assert (limit, remaining) == (100, 100 - n)
        resets.add(reset)

    refused = api.get("/conversations")

    [reset] = resets  # one window, one reset time, whichever request reports it
    assert started + 59 <= reset <= time.time() + 61
    assert refused.status_code == 429
    assert _limit_headers(refused) == (100, 0, reset)
    retry_after = int(refused["Retry-After"])
    assert 1 <= retry_after <= 60
    assert abs((reset - time.time()) - retry_after) <= 2
    assert error_of(refused)["code"] == "rate_limited"


def test_message_endpoints_count_in_their_own_bucket_of_300(api, personas):
    conversation = conversation_with_customer(personas.channel_a)
    api = api.as_user(personas.agent_a)
    for _ in range(100):
        api.get("/contacts")
    assert api.get("/contacts").status_code == 429

    response = api.get(f"/conversations/{conversation.uuid}/messages")

    assert response.status_code == 200
    assert _limit_headers(response)[:2] == (300, 299)


def test_each_caller_has_its_own_count(api, personas):
    ana, bruno = api.as_user(personas.agent_a), api.as_user(personas.agent_b)
    for _ in range(100):
        ana.get("/channels")
    assert ana.get("/channels").status_code == 429

    assert bruno.get("/channels").status_code == 200


def test_an_api_key_may_have_its_own_limits(api, personas):
    _key, raw = account_services.api_key_create(
        name="small", user=personas.agent_a, created_by=personas.admin, rate_limit=3, message_rate_limit=5
    )
    api.token = api.post("/auth/token", {"api_key": raw}).json()["access"]

    assert [api.get("/channels").status_code for _ in range(4)] == [200, 200, 200, 429]
    assert api.get("/channels")["X-RateLimit-Limit"] == "3"


def test_sessions_of_one_api_key_share_its_count(api, personas):
    _key, raw = account_services.api_key_create(name="k", user=personas.agent_a, created_by=None, rate_limit=4)
    one = api.post("/auth/token", {"api_key": raw}).json()["access"]
    two = api.post("/auth/token", {"api_key": raw}).json()["access"]

    statuses = []
    for token in (one, two, one, two, one):
        api.token = token
        statuses.append(api.get("/channels").status_code)

    assert statuses == [200, 200, 200, 200, 429]


def test_errors_carry_the_headers_too(api, personas):
    response = api.as_user(personas.agent_a).get("/conversations/00000000-0000-0000-0000-000000000000")

    assert response.status_code == 404
    assert response["X-RateLimit-Remaining"] == "99"


def test_anonymous_callers_are_limited_per_address(api, settings):
    settings.API_RATE_LIMIT_ANONYMOUS = 5
    statuses = [api.post("/auth/token", {"username": "x", "password": "y"}).status_code for _ in range(6)]

    assert statuses == [401] * 5 + [429]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_share_the_count(web_processes, personas):
    first, second = web_processes
    token = account_services.api_session_start(user=personas.agent_a).access

    statuses = [web_processes[n % 2].request("GET", "/api/v1/channels", token=token)[0] for n in range(100)]
    assert statuses == [200] * 100
    _status, headers, _body = first.request("GET", "/api/v1/channels", token=token)
    status, headers, body = second.request("GET", "/api/v1/channels", token=token)

    assert _status == 429 and status == 429
    assert headers["x-ratelimit-remaining"] == "0"
    assert int(headers["retry-after"]) >= 1
    assert body["error"]["code"] == "rate_limited"
