from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction


def superuser_ensure(*, email: str, password: str) -> str:
    """Create the superuser, or bring an existing one back to superuser with this password.

    The password is only re-hashed when it changed, so a restart does not sign the admin out
    (Django ties sessions to the password hash). The email address is marked verified and
    primary, as allauth requires before it lets the account log in through the API.
    Returns "created", "updated" or "unchanged"; ValidationError({"email" or "password": ...})
    for an address or password Django would not take.
    """
    user_model = get_user_model()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": exc.messages}) from exc
    email = user_model.objects.normalize_email(email)
    with transaction.atomic():
        user = user_model.objects.select_for_update().filter(email__iexact=email).first()
        created = user is None
        if created:
            user = user_model(email=email)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        changed = created or not (user.is_staff and user.is_superuser and user.is_active)
        if created or not user.check_password(password):
            user.set_password(password)
            changed = True
        user.is_staff = user.is_superuser = user.is_active = True
        user.save()

        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).update(primary=False)
        address = EmailAddress.objects.filter(user=user, email__iexact=email).first()
        if address is None:
            address = EmailAddress(user=user, email=email.lower())
        if not (address.verified and address.primary):
            address.verified = address.primary = True
            address.save()
            changed = True
    if created:
        return "created"
    return "updated" if changed else "unchanged"
