from django.db import models


class RelayedMessage(models.Model):
    """A live message waiting for the zero-setup relay (see core.realtime). Pruned after minutes."""

    groups = models.JSONField()
    message = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    def __str__(self):
        return f"relay {self.pk} → {', '.join(self.groups)}"
