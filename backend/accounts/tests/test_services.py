import pytest
from django.core.exceptions import ValidationError

from backend.accounts.services import superuser_ensure

pytestmark = pytest.mark.django_db
PASSPHRASE = "a long admin passphrase"


def test_superuser_ensure_creates_then_leaves_alone():
    assert superuser_ensure(email="Admin@Example.com", password=PASSPHRASE) == "created"
    assert superuser_ensure(email="admin@example.com", password=PASSPHRASE) == "unchanged"


@pytest.mark.parametrize(
    ("email", "password", "field"),
    [("not an address", PASSPHRASE, "email"), ("admin@example.com", "password", "password")],
)
def test_superuser_ensure_names_what_django_would_not_take(email, password, field):
    with pytest.raises(ValidationError) as raised:
        superuser_ensure(email=email, password=password)
    assert list(raised.value.message_dict) == [field]
