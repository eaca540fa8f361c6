"""Writes for users, teams, inbox membership, API keys and API sessions, notifications."""

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import selectors, tokens
from accounts.models import ApiKey, ApiSession, IdempotencyRecord, InboxMembership, Notification, Team, User

logger = logging.getLogger(__name__)


@transaction.atomic
def admin_ensure(*, email: str, password: str) -> tuple[User, bool]:
    """The administrator with this e-mail exists, is active and has this password."""
    user = User.objects.filter(email__iexact=email).first()
    created = user is None
    if created:
        user = User(username=email.split("@")[0][:150] or "admin", email=email)
        if User.objects.filter(username=user.username).exists():
            user.username = email[:150]
    user.role = User.Role.ADMIN
    user.is_staff = True
    user.is_superuser = True
    user.is_active = True
    if created or not user.check_password(password):
        user.set_password(password)
    user.save()
    return user, created


@transaction.atomic
def user_create(
    *,
    username: str,
    email: str,
    password: str | None,
    first_name: str = "",
    last_name: str = "",
    role: str = User.Role.AGENT,
    availability: str = User.Availability.OFFLINE,
    max_open_conversations: int = 0,
) -> User:
    user = User(
        username=username,
        email=email,
        first_name=first_name,
        last_name=last_name,
        role=role,
        availability=availability,
        max_open_conversations=max_open_conversations,
        is_staff=role == User.Role.ADMIN,
    )
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def user_set_availability(*, user: User, availability: str) -> User:
    User.objects.filter(pk=user.pk).update(availability=availability)
    user.availability = availability
    return user


@transaction.atomic
def inbox_members_set(*, channel, users: list[User]) -> None:
    """Make exactly `users` the members of the channel's inbox."""
    InboxMembership.objects.filter(channel=channel).exclude(user__in=users).delete()
    existing = set(InboxMembership.objects.filter(channel=channel).values_list("user_id", flat=True))
    InboxMembership.objects.bulk_create(
        [InboxMembership(user=u, channel=channel) for u in users if u.pk not in existing]
    )


@transaction.atomic
def inbox_member_add(*, channel, user: User) -> None:
    InboxMembership.objects.get_or_create(channel=channel, user=user)


@transaction.atomic
def team_create(*, name: str, members: list[User] = (), description: str = "") -> Team:
    team = Team.objects.create(name=name, description=description)
    team.members.set(members)
    return team


# --- API keys and API sessions (JWT) ----------------------------------------------------------
API_KEY_PREFIX = "ock_"


def _hash_key(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    name: str,
    user: User,
    created_by: User | None,
    rate_limit: int | None = None,
    message_rate_limit: int | None = None,
    expires_at=None,
) -> tuple[ApiKey, str]:
    """Create an API key acting as `user`. Returns the row and the key itself, which is stored
    only as a hash: show it to the admin once."""
    raw = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey.objects.create(
        name=name,
        user=user,
        prefix=raw[:12],
        hashed=_hash_key(raw),
        rate_limit=rate_limit,
        message_rate_limit=message_rate_limit,
        expires_at=expires_at,
        created_by=created_by,
    )
    return key, raw


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey) -> None:
    """Revoke a key and every session (so every token) obtained with it, at once."""
    now = timezone.now()
    ApiKey.objects.filter(pk=api_key.pk, revoked_at__isnull=True).update(revoked_at=now)
    api_key.revoked_at = api_key.revoked_at or now
    ApiSession.objects.filter(api_key=api_key, revoked_at__isnull=True).update(
        revoked_at=now, revoked_reason="api key revoked"
    )


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str
    expires_in: int


def _issue(session: ApiSession, refresh_jti) -> TokenPair:
    ttl = settings.JWT_ACCESS_TTL_SECONDS
    return TokenPair(
        access=tokens.encode(typ=tokens.ACCESS, user_uuid=session.user.uuid, session_uuid=session.uuid, ttl=ttl),
        refresh=tokens.encode(
            typ=tokens.REFRESH,
            user_uuid=session.user.uuid,
            session_uuid=session.uuid,
            jti=refresh_jti,
            ttl=settings.JWT_REFRESH_TTL_SECONDS,
        ),
        expires_in=ttl,
    )


@transaction.atomic
def api_session_start(*, user: User, api_key: ApiKey | None = None) -> TokenPair:
    """Start an API session for an authenticated user (or API key): a new token family."""
    now = timezone.now()
    session = ApiSession.objects.create(
        user=user, api_key=api_key, expires_at=now + timedelta(seconds=settings.JWT_REFRESH_TTL_SECONDS)
    )
    if api_key is not None:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    return _issue(session, session.refresh_jti)


def api_key_authenticate(*, raw_key: str) -> ApiKey | None:
    """The usable key behind `raw_key` whose user is active, else None."""
    key = ApiKey.objects.select_related("user").filter(hashed=_hash_key(raw_key or "")).first()
    if key is None or not key.is_usable or not key.user.is_active:
        return None
    return key


def api_session_refresh(*, refresh_token: str) -> TokenPair:
    """Rotate: the presented refresh token is spent and a new pair is issued.

    A refresh token that was already spent means it was copied: the whole session is revoked
    (OAuth 2.0 refresh-token rotation with reuse detection). Raises tokens.TokenInvalid."""
    claims = tokens.decode(refresh_token, typ=tokens.REFRESH)
    session = selectors.api_session_live(claims)
    new_jti = uuid.uuid4()
    now = timezone.now()
    rotated = ApiSession.objects.filter(pk=session.pk, refresh_jti=claims.jti, revoked_at__isnull=True).update(
        refresh_jti=new_jti, refreshed_at=now, expires_at=now + timedelta(seconds=settings.JWT_REFRESH_TTL_SECONDS)
    )
    if not rotated:
        # Not atomic with the raise on purpose: the revocation must stay.
        _revoke(session.pk, "refresh token reused")
        raise _ReuseDetected()
    return _issue(session, new_jti)


class _ReuseDetected(tokens.TokenInvalid):
    def __init__(self):
        super().__init__(_("This refresh token was already used; the session is revoked."), code="token_revoked")


def api_session_revoke(*, refresh_token: str) -> None:
    """Revoke the session of a refresh token: the refresh token and every access token issued in
    that session stop working at once. Revoking an expired or revoked token is a no-op; a token
    that does not verify raises tokens.TokenInvalid."""
    claims = tokens.decode(refresh_token, typ=tokens.REFRESH, verify_exp=False)
    _revoke_by_uuid(claims.sid, "revoked by the client")


@transaction.atomic
def api_session_revoke_by_admin(*, session: ApiSession) -> None:
    """An administrator ends an API session: its tokens stop working at once."""
    _revoke(session.pk, "revoked by an administrator")


def _revoke(session_pk: int, reason: str) -> None:
    ApiSession.objects.filter(pk=session_pk, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def _revoke_by_uuid(session_uuid, reason: str) -> None:
    ApiSession.objects.filter(uuid=session_uuid, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def api_records_prune() -> int:
    """Delete expired idempotency records and API sessions that ended more than a week ago."""
    now = timezone.now()
    deleted, _counts = IdempotencyRecord.objects.filter(expires_at__lt=now).delete()
    ended = ApiSession.objects.filter(expires_at__lt=now - timedelta(days=7)) | ApiSession.objects.filter(
        revoked_at__lt=now - timedelta(days=7)
    )
    sessions, _counts = ended.delete()
    return deleted + sessions


# --- in-app notifications ---------------------------------------------------------------------
@transaction.atomic
def notification_create(
    *, user: User, title: str, body: str = "", link: str = "", level: str = "info", email: bool = True
) -> Notification:
    """Record an in-app notice for `user` and, with `email`, mail it to them after commit."""
    notice = Notification.objects.create(user=user, title=title[:200], body=body, link=link, level=level)
    if email and user.email:
        transaction.on_commit(lambda: _mail(user.email, title, body, link))
    return notice


def _mail(to: str, subject: str, body: str, link: str) -> None:
    text = body + (f"\n\n{settings.PUBLIC_BASE_URL}{link}" if link.startswith("/") else (f"\n\n{link}" if link else ""))
    try:
        send_mail(subject, text, None, [to])
    except Exception:  # a mail server outage must not undo the notice
        logger.exception("could not e-mail a notification")


@transaction.atomic
def profile_update(*, user: User, first_name: str, last_name: str, email: str, language: str, time_zone: str) -> User:
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.language, user.time_zone = language, time_zone
    user.save(update_fields=["first_name", "last_name", "email", "language", "time_zone"])
    return user


@transaction.atomic
def language_set(*, user: User, language: str) -> None:
    User.objects.filter(pk=user.pk).update(language=language)


@transaction.atomic
def agent_save(*, form, inboxes, teams) -> User:
    """Create or edit an agent from the settings form, with their inboxes and teams. A new agent
    gets an unusable password and signs in after choosing one through "forgot password"."""
    from channels_app.models import Channel

    user = form.save(commit=False)
    if user.pk is None:
        user.set_unusable_password()
    user.is_staff = user.role == User.Role.ADMIN
    user.save()
    InboxMembership.objects.filter(user=user).exclude(channel__in=inboxes).delete()
    have = set(InboxMembership.objects.filter(user=user).values_list("channel_id", flat=True))
    InboxMembership.objects.bulk_create(
        [
            InboxMembership(user=user, channel=c)
            for c in Channel.objects.filter(pk__in=[i.pk for i in inboxes])
            if c.pk not in have
        ]
    )
    user.teams.set(teams)
    return user


@transaction.atomic
def team_save(*, form) -> Team:
    """Create or edit a team (name, description, members) from the settings form."""
    return form.save()
