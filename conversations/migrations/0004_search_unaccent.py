"""Accent-insensitive search (core.search): the `unaccent` extension, the text search
configuration `simple_unaccent` ("simple" with unaccent in front), and the full-text GIN
indexes of migration 0003 rebuilt on it. Each index expression is exactly what the ORM emits
(conversations.search, contacts.search), so that PostgreSQL can use it.

SQLite: nothing to do (UnaccentExtension is a no-op there; core.search folds in Python).
"""

from django.contrib.postgres.operations import UnaccentExtension
from django.db import migrations

CONFIG = """
DO $$ BEGIN
    CREATE TEXT SEARCH CONFIGURATION simple_unaccent (COPY = simple);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;
ALTER TEXT SEARCH CONFIGURATION simple_unaccent
    ALTER MAPPING FOR word, numword, hword, hword_part, numhword, hword_numpart WITH unaccent, simple;
"""


def _indexes(config):
    return [
        "DROP INDEX IF EXISTS message_content_fts",
        "DROP INDEX IF EXISTS contact_fts",
        "CREATE INDEX message_content_fts ON conversations_message "
        f"USING gin (to_tsvector('{config}', coalesce(content, '')))",
        f"CREATE INDEX contact_fts ON contacts_contact USING gin (to_tsvector('{config}', "
        "coalesce(name, '') || ' ' || coalesce(email, '') || ' ' || coalesce(phone, '')))",
    ]


FORWARD = [CONFIG, *_indexes("simple_unaccent")]
BACKWARD = [*_indexes("simple"), "DROP TEXT SEARCH CONFIGURATION IF EXISTS simple_unaccent"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("conversations", "0003_search_indexes")]
    operations = [UnaccentExtension(), migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
