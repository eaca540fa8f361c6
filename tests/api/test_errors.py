"""One JSON error shape for every API error, whatever raised it."""

import re

import pytest

from tests.api.conftest import error_of

pytestmark = pytest.mark.django_db


def test_an_unknown_api_path_is_a_json_404(api, personas):
    response = api.as_user(personas.admin).get("/nothing/here")

    assert response.status_code == 404
    assert error_of(response)["code"] == "not_found"


def test_malformed_json_is_a_400(api, personas):
    response = api.as_user(personas.admin).client.post(
        "/api/v1/contacts",
        data="{not json",
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.as_user(personas.admin).token}"},
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_an_unsupported_body_type_is_a_415(api, personas):
    response = api.client.post(
        "/api/v1/contacts",
        data="name=x",
        content_type="text/plain",
        headers={"Authorization": f"Bearer {api.as_user(personas.admin).token}"},
    )

    assert response.status_code == 415
    assert error_of(response)["code"] == "unsupported_media_type"


def test_a_wrong_method_is_a_405(api, personas):
    response = api.as_user(personas.admin).delete("/contacts")

    assert response.status_code == 405
    assert error_of(response)["code"] == "method_not_allowed"


def test_validation_errors_name_nested_fields(api, personas):
    response = api.as_user(personas.admin).post("/contacts", {"identities": [{"medium": "fax", "address": "1"}]})

    assert response.status_code == 400
    error = error_of(response)
    assert error["message"] == "Some fields are invalid."
    assert list(error["fields"]) == ["identities.0.medium"]


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/v1/schema/", {"format": "json"})
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/conversations/{conversation_id}/messages" in paths
    for page in ("/api/v1/docs/", "/api/v1/redoc/"):
        response = client.get(page)
        assert response.status_code == 200
        html = response.content.decode()
        # Served from here, like every page: no CDN, no web fonts from third parties.
        assert not re.findall(r'(?:src|href)="https?://(?!testserver)', html), page
        assert "googleapis" not in html and "/static/" in html


@pytest.mark.parametrize("text", ["nul \u0000 inside", "lone \ud800 surrogate"])
def test_text_the_database_cannot_store_is_a_400_not_a_500(api, personas, text):
    escaped = text.encode("unicode_escape").decode().replace("\\x00", "\\u0000")
    body = '{"name": "x", "custom_attributes": {"note": "' + escaped + '"}}'
    response = api.client.post(
        "/api/v1/contacts",
        data=body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {api.as_user(personas.admin).token}"},
    )

    assert response.status_code == 400
    assert error_of(response)["code"] == "parse_error"


def test_an_unknown_query_parameter_is_refused_not_ignored(api, personas):
    response = api.as_user(personas.admin).get("/conversations", {"stauts": "open"})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"stauts": ["Unknown parameter."]}


def test_a_json_number_is_not_taken_for_a_string(api, personas):
    response = api.as_user(personas.admin).post("/contacts", {"name": 0})

    assert response.status_code == 400
    assert error_of(response)["fields"] == {"name": ["Not a valid string."]}
