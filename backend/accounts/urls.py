from django.urls import path

from backend.accounts import apis

# dj_rest_auth.registration.urls without its placeholder TemplateViews (they answer GET with a
# 500): mails link to the Vue app instead (accounts.adapters).
registration_urlpatterns = [
    path("", apis.RegisterApi.as_view(), name="rest_register"),
    path("verify-email/", apis.VerifyEmailApi.as_view(), name="rest_verify_email"),
    path("resend-email/", apis.ResendEmailVerificationApi.as_view(), name="rest_resend_email"),
    # allauth reverses this name after a signup; dj-rest-auth discards the redirect it builds.
    path(
        "account-email-verification-sent/",
        apis.verification_sent,
        name="account_email_verification_sent",
    ),
]

settings_urlpatterns = [
    path("", apis.UserSettingsApi.as_view(), name="user-settings"),
]
