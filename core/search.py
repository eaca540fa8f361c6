"""What searching ignores, in one place for every interface (console pages, the API).

- Accents and case: `Joao` finds `João`, `ola` finds `Olá`. PostgreSQL folds with the `unaccent`
  extension: full-text search uses the text search configuration `SEARCH_CONFIG` ("simple" with
  unaccent in front; created by conversations migration 0004, which builds the GIN indexes on it),
  substring matches compare `lower(unaccent(...))` of both sides (`Fold`). SQLite (the
  zero-setup run) has no unaccent: `Fold` calls `fold` below, registered on the connection.
- Phone punctuation: `+55 11 98765-4321`, `(11) 98765-4321` and `11987654321` all mean the digits
  (`phone_digits`), which are compared with the stored numbers (E.164, or digits).
"""

import unicodedata

from django.db.models import Func, TextField

SEARCH_CONFIG = "simple_unaccent"
MIN_PHONE_DIGITS = 4


def fold(text: str | None) -> str:
    """Without accents and case: "Olá, JOÃO" → "ola, joao"."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def phone_digits(query: str) -> str:
    """The digits of `query` when there are enough of them to look for a phone number, else ""."""
    digits = "".join(ch for ch in query if "0" <= ch <= "9")
    return digits if len(digits) >= MIN_PHONE_DIGITS else ""


class Fold(Func):
    """`expression` without accents and in lower case, in the database."""

    function = "LOWER"
    arity = 1
    output_field = TextField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(compiler, connection, template="LOWER(UNACCENT(%(expressions)s))", **extra_context)

    def as_sqlite(self, compiler, connection, **extra_context):
        connection.ensure_connection()
        # Idempotent and cheap; SQLite offers no hook to do it once per new connection.
        connection.connection.create_function("OC_FOLD", 1, fold, deterministic=True)
        return self.as_sql(compiler, connection, function="OC_FOLD", **extra_context)
