"""A secret shown once after a create (an API key, a webhook signing secret), across the redirect
of Post/Redirect/Get: the POST keeps it in the server-side session under its own key, the page it
redirects to takes it out when it shows it, so a reload (or any later visit) never shows it again.
It is never logged, never put in a URL, a message or a cookie."""

_PREFIX = "one-time:"


def keep(request, key: str, value: dict) -> None:
    request.session[_PREFIX + key] = value


def take(request, key: str) -> dict | None:
    """The value kept under `key`, removed from the session: a second call returns None."""
    return request.session.pop(_PREFIX + key, None)
