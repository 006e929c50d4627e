from rest_framework.generics import RetrieveUpdateAPIView

from backend.accounts.serializers import UserSettingsSerializer


class UserSettingsApi(RetrieveUpdateAPIView):
    """GET, PUT and PATCH the signed-in user's UI settings (language, page size)."""

    serializer_class = UserSettingsSerializer

    def get_object(self):
        return self.request.user
