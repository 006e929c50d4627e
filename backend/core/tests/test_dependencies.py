"""What a request answers when a dependency is down, and the cache that fails open.

The end-to-end cases (PostgreSQL stopped, Redis frozen) run real servers in test_probes.py and
backend/jobs/tests/test_faults.py; these pin each mapping down on its own.
"""

import json

import pytest
import redis.exceptions
from django.core.cache.backends.redis import RedisCache
from django.db import OperationalError
from django.test import RequestFactory
from rest_framework.throttling import ScopedRateThrottle

from backend.core import cache as fail_open
from backend.core.dependencies import DependencyUnavailableMiddleware, server_error
from backend.core.exceptions import api_exception_handler


@pytest.mark.parametrize(
    ("error", "part"),
    [
        (OperationalError("connection refused"), "database"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "cache"),
        (redis.exceptions.ConnectionError("Connection refused"), "cache"),
    ],
)
def test_an_api_view_failing_on_a_dependency_answers_503_with_retry_after(error, part):
    response = api_exception_handler(error, {"request": None, "view": None})
    assert response.status_code == 503
    assert part in response.data["detail"]
    assert int(response["Retry-After"]) > 0


def test_other_errors_are_left_to_drf():
    assert api_exception_handler(ValueError("a bug"), {"request": None, "view": None}) is None


def test_a_plain_view_failing_on_the_database_answers_503():
    request = RequestFactory().get("/admin/")
    middleware = DependencyUnavailableMiddleware(lambda r: None)
    response = middleware.process_exception(request, OperationalError("server closed"))
    assert (response.status_code, response["Content-Type"]) == (503, "text/plain; charset=utf-8")
    assert middleware.process_exception(request, ValueError("a bug")) is None


def test_handler500_answers_json_under_the_api_and_503_for_a_dependency():
    request = RequestFactory().get("/api/v1/jobs/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)
    assert (response.status_code, json.loads(response.content)) == (
        500,
        {"detail": "Internal server error."},
    )
    try:
        raise OperationalError("the database went away")
    except OperationalError:
        response = server_error(request)
    assert (response.status_code, json.loads(response.content)["unavailable"]) == (503, "database")


@pytest.fixture
def unreachable_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(fail_open.FailOpenRedisCache, "_skip_until", 0.0)
    return fail_open.FailOpenRedisCache(
        f"unix://{tmp_path}/nothing.sock?db=0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )


def test_the_cache_fails_open_when_redis_is_unreachable(unreachable_cache, caplog):
    assert unreachable_cache.get("key", [1]) == [1]
    assert unreachable_cache.set("key", "value") is None
    # allauth takes add()'s True as its lock acquired.
    assert unreachable_cache.add("lock", True) is True
    assert "rate limits not applied" in caplog.text
    # A plain RedisCache would raise: the fail-open class is what keeps requests going.
    with pytest.raises(redis.exceptions.ConnectionError):
        RedisCache(unreachable_cache._servers[0], {}).get("key")


def test_a_throttle_whose_cache_is_unreachable_lets_the_request_through(
    unreachable_cache, monkeypatch, rf
):
    monkeypatch.setattr(ScopedRateThrottle, "cache", unreachable_cache)
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"scope": "1/minute"})
    view = type("View", (), {"throttle_scope": "scope"})()
    request = rf.post("/api/v1/auth/login/")
    request.user = None
    throttle = ScopedRateThrottle()
    # Twice over the rate, yet allowed: no counter can be kept.
    assert throttle.allow_request(request, view) and throttle.allow_request(request, view)
