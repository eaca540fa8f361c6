"""Plumbing shared by every API view: the error shape, rate limits, keyset pagination and the
OpenAPI conventions. Domain apps keep their endpoints in `<app>/apis.py`."""
