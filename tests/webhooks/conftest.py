from tests.api.conftest import api, public_dns  # noqa: F401  (fixtures)
