import uuid

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from core import db

TEAM_NAME_TAKEN = _("A team with this name already exists (names are compared ignoring case).")


class User(AbstractUser):
    class Role(models.TextChoices):
        AGENT = "agent", _("Agent")
        ADMIN = "admin", _("Administrator")

    class Availability(models.TextChoices):
        ONLINE = "online", _("Online")
        BUSY = "busy", _("Busy")
        OFFLINE = "offline", _("Offline")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(_("role"), max_length=10, choices=Role.choices, default=Role.AGENT)
    availability = models.CharField(
        _("availability"), max_length=10, choices=Availability.choices, default=Availability.OFFLINE
    )
    max_open_conversations = models.PositiveIntegerField(
        _("capacity"), default=0, help_text=_("Open conversations assigned automatically at most; 0 means no limit.")
    )
    language = models.CharField(_("language"), max_length=10, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, default="America/Sao_Paulo")

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.UniqueConstraint(
                models.functions.Lower("email"), condition=~models.Q(email=""), name="user_email_unique_ci"
            )
        ]

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN or self.is_superuser

    @property
    def display_name(self) -> str:
        return self.get_full_name() or self.username


class Team(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=255, blank=True)
    members = models.ManyToManyField(User, related_name="teams", blank=True, verbose_name=_("members"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="team_name_ci_unique", violation_error_message=TEAM_NAME_TAKEN)
        ]

    def __str__(self):
        return self.name

    def clean(self):
        if db.taken_ignoring_case(self, "name"):  # team_name_ci_unique, said beside the field
            raise ValidationError({"name": ValidationError(TEAM_NAME_TAKEN, code="unique")})


class InboxMembership(models.Model):
    """Which users work which channel's inbox. Agents see only their inboxes (SEC-AUTHZ)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="inbox_memberships")
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "channel"], name="inbox_membership_unique")]
        verbose_name = _("inbox membership")
        verbose_name_plural = _("inbox memberships")

    def __str__(self):
        return f"{self.user} → {self.channel}"


def _new_uuid():
    return uuid.uuid4()


class ApiKey(models.Model):
    """A machine client's credential, acting with its user's permissions (API-AUTH).

    The key itself is shown once, at creation; only its SHA-256 is stored (keys are 256-bit
    random, so a fast hash is enough and lookups stay one indexed query)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=100)
    user = models.ForeignKey(
        User,
        on_delete=models.CASCADE,
        related_name="api_keys",
        verbose_name=_("acts as"),
        help_text=_("The key has exactly this user's permissions."),
    )
    prefix = models.CharField(_("prefix"), max_length=16, help_text=_("The key's first characters, to recognise it."))
    hashed = models.CharField(max_length=64, unique=True)
    rate_limit = models.PositiveIntegerField(
        _("requests per minute"), null=True, blank=True, help_text=_("Empty: the default (100).")
    )
    message_rate_limit = models.PositiveIntegerField(
        _("message requests per minute"), null=True, blank=True, help_text=_("Empty: the default (300).")
    )
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def clean(self):
        # A new key that has already expired is a mistake (the admin site's add form; the console
        # form checks the same). Moving an existing key's expiry into the past stays possible.
        if self._state.adding:
            try:
                validate_expiry(self.expires_at)
            except ValidationError as exc:
                raise ValidationError({"expires_at": exc.messages}) from exc

    @property
    def is_usable(self) -> bool:
        from django.utils import timezone

        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())


def validate_expiry(value) -> None:
    """A new API key's expiry: empty (never) or in the future."""
    from django.utils import timezone

    from core.validators import not_too_far_ahead

    if value is not None and value <= timezone.now():
        raise ValidationError(_("The expiry date must be in the future."), code="expiry_in_past")
    not_too_far_ahead(value)


class ApiSession(models.Model):
    """One sign-in of an API client: the family of tokens issued from one `POST /auth/token`.

    Every access and refresh token carries the session's uuid (`sid`). Refreshing rotates the
    one valid refresh token (`refresh_jti`); presenting an already-rotated one revokes the whole
    session (it was copied). Authenticating a request reads this row together with its user and
    key in one query, so a revocation holds at once in every server process."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_sessions")
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions")
    refresh_jti = models.UUIDField(default=_new_uuid)
    created_at = models.DateTimeField(auto_now_add=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("API session")
        verbose_name_plural = _("API sessions")

    def __str__(self):
        return f"{self.user} {self.uuid}"

    # --- what the API's rate limiter asks of an authenticated principal ----------------------
    def rate_identity(self) -> str:
        return f"key:{self.api_key.uuid}" if self.api_key_id else f"user:{self.user.uuid}"

    def rate_limits(self) -> dict[str, int]:
        from django.conf import settings

        key = self.api_key if self.api_key_id else None
        return {
            "default": (key and key.rate_limit) or settings.API_RATE_LIMIT,
            "messages": (key and key.message_rate_limit) or settings.API_MESSAGE_RATE_LIMIT,
        }

    @property
    def idempotency_scope(self) -> str:
        return self.rate_identity()


class IdempotencyRecord(models.Model):
    """The answer to a request sent with an `Idempotency-Key`, replayed to a retry of it.

    Scoped to the caller (API key, else user) and kept 24 hours. The row is inserted in the same
    transaction as the work it guards, so a concurrent retry waits for the first request and then
    replays its answer; if the work fails, the row rolls back with it and a retry runs afresh."""

    scope = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.JSONField(null=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="idempotency_scope_key_unique")]
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")

    def __str__(self):
        return f"{self.scope} {self.key}"


class Notification(models.Model):
    """An in-app notice for one user (a webhook subscription disabled, an integration alert)."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        ERROR = "error", _("Error")

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="notifications")
    level = models.CharField(max_length=10, choices=Level.choices, default=Level.INFO)
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("text"), blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["user", "-created_at"], name="notification_user_idx")]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self):
        return self.title
