import pytest

pytestmark = pytest.mark.django_db


def test_user_reads_and_updates_own_settings(auth_client, user):
    response = auth_client.get("/api/v1/settings/")
    assert response.status_code == 200
    assert response.data == {"language": "en", "page_size": 10}

    response = auth_client.patch("/api/v1/settings/", {"language": "de", "page_size": 25})
    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.language, user.page_size) == ("de", 25)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"page_size": 0}, "page_size"),
        ({"page_size": 1_000_000}, "page_size"),
        ({"language": "fr"}, "language"),
        ({"theme": "dark"}, "theme"),
    ],
)
def test_bad_settings_are_refused_per_field(auth_client, user, payload, field):
    response = auth_client.patch("/api/v1/settings/", payload, format="json")
    assert response.status_code == 400
    assert field in response.data
    user.refresh_from_db()
    assert (user.language, user.page_size) == ("en", 10)


def test_settings_need_a_token(api_client):
    assert api_client.get("/api/v1/settings/").status_code == 401
