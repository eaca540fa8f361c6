"""A NUL character in a query parameter: 400 in the API's error shape, never a database 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path, params",
    [("/contacts", {"search": "a\x00b"}), ("/conversations", {"status": "open\x00"}), ("/contacts", {"q\x00": "x"})],
)
def test_the_api_refuses_a_nul_character_in_its_error_shape(api, personas, path, params):
    response = api.as_user(personas.admin).get(path, params)

    assert response.status_code in (200, 400), response.content
    if response.status_code == 400:
        assert response.json()["error"]["code"] in ("bad_request", "invalid")
    assert "X-RateLimit-Remaining" in response.headers
