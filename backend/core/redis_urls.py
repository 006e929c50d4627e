"""One Redis URL for Django's cache and Celery's broker.

redis-py writes a unix socket as unix:///path?db=N; kombu spells the same socket
redis+socket:///path?virtual_host=N. The stack exports only REDIS_URL, so the broker URL is derived.
"""

from urllib.parse import parse_qs, urlsplit


def broker_url_from_redis_url(redis_url: str) -> str:
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    db = parse_qs(parts.query).get("db", ["0"])[0]
    return f"redis+socket://{parts.path}?virtual_host={db}"
