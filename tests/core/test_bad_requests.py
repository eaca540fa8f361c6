"""A NUL character in a query parameter is refused with a clear 400, never a database 500."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("url", ["/search/?q=%00", "/inbox/?view=all&status=open%00", "/contacts/?q=a%00b"])
def test_console_pages_refuse_a_nul_character(client, personas, url):
    client.force_login(personas.admin)

    response = client.get(url)

    assert response.status_code == 400
    assert "NUL character" in response.content.decode()
