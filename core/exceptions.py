"""Errors that services raise and every interface (console, API, webhooks) renders the same way."""


class ApplicationError(Exception):
    """A refusal the user can act on; `message` is shown to them as is (translated)."""

    status_code = 400

    def __init__(self, message: str, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}


class NotFound(ApplicationError):
    status_code = 404


class Conflict(ApplicationError):
    status_code = 409


class PolicyViolation(ApplicationError):
    """The channel's rules forbid this (closed 24-hour window, unsupported content, no consent)."""

    status_code = 422


class ProviderUnavailable(ApplicationError):
    """A provider call the user asked for directly (a template sync) failed: its reason is shown."""

    status_code = 502
