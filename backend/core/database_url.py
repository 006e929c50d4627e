"""A DATABASE_URL (django-environ's syntax) from a connection's parts: the start program builds
one from POSTGRES_*, the tests hand their database to a worker process as one."""

from urllib.parse import quote


def database_url(*, name: str, user: str = "", password: str = "", host: str = "", port="") -> str:
    """postgres://user:password@host:port/name, each part percent-encoded, so a password may hold
    any character. A host starting with "/" is a socket directory, which a URL can only carry as
    the host query parameter."""
    credentials = quote(user, safe="")
    if password:
        credentials += ":" + quote(password, safe="")
    if credentials:
        credentials += "@"
    name = quote(name, safe="")
    port = str(port or "")
    if host.startswith("/"):
        query = f"host={quote(host, safe='/')}" + (f"&port={port}" if port else "")
        return f"postgres://{credentials}/{name}?{query}"
    if ":" in host:  # an IPv6 address
        host = f"[{host}]"
    return f"postgres://{credentials}{host}" + (f":{port}" if port else "") + f"/{name}"


def database_url_from_settings(settings_dict: dict) -> str:
    """The URL of a connection Django has configured already (connection.settings_dict)."""
    return database_url(
        name=settings_dict["NAME"],
        user=settings_dict.get("USER") or "",
        password=settings_dict.get("PASSWORD") or "",
        host=settings_dict.get("HOST") or "",
        port=settings_dict.get("PORT") or "",
    )
