import pytest
from django.core.management import call_command

from backend.accounts.models import User
from backend.core.models import SetupFlag
from backend.core.services import fixture_files

pytestmark = pytest.mark.django_db


def test_dev_fixtures_are_left_out_unless_asked_for():
    assert all(not p.name.startswith("dev_") for p in fixture_files(include_dev=False))
    assert "dev_users.json" in [p.name for p in fixture_files(include_dev=True)]


def test_dev_user_can_log_in_after_loading_dev_fixtures(api_client):
    call_command("load_fixtures", "--dev")
    response = api_client.post(
        "/api/v1/auth/login/", {"email": "dev@example.com", "password": "dev-password-123"}
    )
    assert response.status_code == 200, response.data


def test_non_dev_fixtures_load_once_per_database(capsys):
    call_command("load_fixtures")
    first = SetupFlag.objects.count()
    call_command("load_fixtures")
    assert SetupFlag.objects.count() == first
    assert "nothing new" in capsys.readouterr().out.splitlines()[-1]
    assert not User.objects.exists()
