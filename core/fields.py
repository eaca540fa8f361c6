"""Model fields."""

import json

from django.db import models

from core import crypto


class EncryptedJSONField(models.TextField):
    """A JSON object stored as one Fernet token: the column never holds plaintext.

    Read as a dict, written as a dict. Not queryable by content, by design.
    """

    description = "Encrypted JSON"

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return {}
        return json.loads(crypto.decrypt(value))

    def to_python(self, value):
        if isinstance(value, dict):
            return value
        if value in (None, ""):
            return {}
        return json.loads(crypto.decrypt(value))

    def get_prep_value(self, value):
        if value in (None, ""):
            value = {}
        return crypto.encrypt(json.dumps(value, sort_keys=True))

    def value_to_string(self, obj):
        # Serialisation (dumpdata) keeps the ciphertext: fixtures never carry secrets.
        return self.get_prep_value(self.value_from_object(obj))

    def formfield(self, **kwargs):
        return None
