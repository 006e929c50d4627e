from django.urls import path

from backend.accounts.apis import UserSettingsApi

urlpatterns = [path("", UserSettingsApi.as_view(), name="user-settings")]
