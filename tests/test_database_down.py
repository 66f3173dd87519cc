"""While the database is down, error pages still render: without it, in the visitor's language."""
from __future__ import annotations

import socket

import pytest

from engine.db import Database


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nobody listens there once the socket is closed


@pytest.fixture
def database_down(app):
    """Swap the app's database for one whose server is not running (a real connection error)."""
    def go_down():
        down = Database(f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/tindak?connect_timeout=2")
        app.extensions["tindak.db"] = down
        app.extensions.pop("tindak.engine", None)
        return down

    return go_down


def text_of(response) -> str:
    return response.get_data(as_text=True)


def test_an_officers_page_answers_503_in_indonesian(client, auth, database_down):
    auth.login("verifikator")
    database_down()
    response = client.get("/tasks/")
    page = text_of(response)
    assert response.status_code == 503
    assert 'data-testid="error-message"' in page and "Layanan sedang tidak tersedia" in page
    assert "Traceback" not in page and "Internal Server Error" not in page
    assert "Kembali ke tugas saya" in page


def test_an_officer_who_chose_english_gets_english(client, auth, database_down):
    auth.login("verifikator")
    client.post("/language/en")
    database_down()
    response = client.get("/tasks/")
    assert response.status_code == 503
    assert "The service is briefly unavailable" in text_of(response)
    assert 'lang="en"' in text_of(response)


def test_a_page_that_does_not_exist_still_renders_for_a_logged_in_officer(client, auth, database_down):
    auth.login("verifikator")
    database_down()
    response = client.get("/no-such-page")  # the layout would load the user from the database
    page = text_of(response)
    assert response.status_code == 404 and 'data-testid="error-message"' in page
    assert "Halaman ini tidak ada" in page


@pytest.mark.parametrize("path", ["/lapor", "/lacak/LPR-0000-0000?kode=x", "/laporan"])
def test_public_pages_get_the_public_error_page(client, database_down, path):
    database_down()
    response = client.get(path)
    page = text_of(response)
    assert response.status_code == 503, path
    assert "Layanan sedang tidak tersedia" in page
    assert "Kembali ke tugas saya" not in page and "Back to my tasks" not in page
    assert 'href="/lapor"' in page  # the citizens' way back


def test_a_public_page_in_english(client, database_down):
    client.post("/language/en")
    database_down()
    response = client.get("/lapor")
    assert response.status_code == 503 and "The service is briefly unavailable" in text_of(response)
    assert "Back to my tasks" not in text_of(response)


def test_the_api_and_open311_answer_503_in_their_own_shape(client, database_down):
    database_down()
    response = client.get("/api/v1/tasks", headers={"Authorization": "Bearer tnd_nothing"})
    assert response.status_code == 503 and response.get_json()["error"]["code"] == "unavailable"
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 503 and isinstance(response.get_json(), list)
