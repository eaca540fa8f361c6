"""Full-text search indexes. PostgreSQL only: SQLite searches with LIKE (conversations.search)."""

from django.db import migrations

FORWARD = [
    "CREATE INDEX IF NOT EXISTS message_content_fts ON conversations_message "
    "USING gin (to_tsvector('simple', coalesce(content, '')))",
    "CREATE INDEX IF NOT EXISTS contact_fts ON contacts_contact USING gin (to_tsvector('simple', "
    "coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')))",
]
BACKWARD = ["DROP INDEX IF EXISTS message_content_fts", "DROP INDEX IF EXISTS contact_fts"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0002_labels_canned"), ("contacts", "0001_initial")]
    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
