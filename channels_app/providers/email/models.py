"""Mailbox polling state. A mailbox row is a work row (status, attempts, next_attempt_at,
lease_until) claimed with core.claims, so two workers (or the IDLE process and a worker) never
poll one mailbox at once, and a crashed poll is retried when its lease ends."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Mailbox(models.Model):
    class Status(models.TextChoices):
        IDLE = "idle", _("Waiting")
        POLLING = "polling", _("Fetching")

    channel = models.OneToOneField("channels_app.Channel", on_delete=models.CASCADE, related_name="mailbox")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.IDLE)
    attempts = models.PositiveIntegerField(default=0)  # consecutive failed polls (+1 while claimed)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_polled_at = models.DateTimeField(null=True, blank=True)
    last_success_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    fetched_total = models.PositiveBigIntegerField(default=0)
    # Hash of the credentials the server refused: not retried until they change.
    reconnect_fingerprint = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("mailbox")
        verbose_name_plural = _("mailboxes")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="email_mailbox_due_idx")]

    def __str__(self):
        return f"mailbox of {self.channel_id}"


class FolderState(models.Model):
    """Where fetching stands in one IMAP folder. UIDs mean nothing once UIDVALIDITY changes."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="folders")
    folder = models.CharField(max_length=200)
    uidvalidity = models.BigIntegerField()
    last_uid = models.BigIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "folder"], name="email_folder_unique")]

    def __str__(self):
        return f"{self.folder} ({self.uidvalidity}/{self.last_uid})"


class Pop3Seen(models.Model):
    """A POP3 message (by its UIDL) already recorded. POP3 has no UIDs that grow; the set of
    seen UIDLs is the state. Rows whose message left the server are pruned."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="pop3_seen")
    uidl = models.CharField(max_length=100)
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "uidl"], name="email_pop3_uidl_unique")]

    def __str__(self):
        return self.uidl


class OAuthState(models.Model):
    """One pending authorisation-code flow: the `state` we sent, the PKCE verifier, who started
    it. Used once, and only within OAUTH_STATE_TTL."""

    state = models.CharField(max_length=64, unique=True)
    channel = models.ForeignKey("channels_app.Channel", on_delete=models.CASCADE, related_name="+")
    provider = models.CharField(max_length=20)
    code_verifier = models.CharField(max_length=128)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self):
        return f"{self.provider} sign-in for channel {self.channel_id}"
