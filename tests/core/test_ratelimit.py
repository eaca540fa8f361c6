"""core.ratelimit: one count per bucket in the shared cache, windows that reset."""

import time

from core import ratelimit


def test_counts_up_to_the_limit_then_refuses_until_the_window_ends():
    decisions = [ratelimit.hit("unit:a", limit=3, window=2) for _ in range(4)]

    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert len({d.reset_at for d in decisions}) == 1
    assert decisions[-1].headers()["Retry-After"] == str(decisions[-1].retry_after)

    time.sleep(2.1)
    fresh = ratelimit.hit("unit:a", limit=3, window=2)
    assert fresh.allowed and fresh.remaining == 2


def test_buckets_are_independent():
    for _ in range(3):
        ratelimit.hit("unit:b", limit=3, window=60)

    assert not ratelimit.hit("unit:b", limit=3, window=60).allowed
    assert ratelimit.hit("unit:c", limit=3, window=60).allowed


def test_limit_view_guards_a_plain_django_view_per_client(rf):
    from django.http import JsonResponse

    @ratelimit.limit_view("unit-visitor", limit=2, window=60)
    def view(request):
        return JsonResponse({"ok": True})

    here = [view(rf.get("/", REMOTE_ADDR="203.0.113.9")) for _ in range(3)]
    elsewhere = view(rf.get("/", REMOTE_ADDR="198.51.100.7"))

    assert [r.status_code for r in here] == [200, 200, 429]
    assert here[2]["X-RateLimit-Remaining"] == "0" and int(here[2]["Retry-After"]) >= 1
    assert b'"rate_limited"' in here[2].content
    assert elsewhere.status_code == 200
