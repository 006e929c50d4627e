from django.db import transaction
from django.http import JsonResponse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core.selectors import readiness_problems, version_info


class VersionInfoApi(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    @extend_schema(
        responses=inline_serializer(
            "VersionInfo",
            {
                "name": serializers.CharField(),
                "version": serializers.CharField(),
                "environment": serializers.CharField(),
                "git_revision": serializers.CharField(allow_null=True),
            },
        )
    )
    def get(self, request):
        return Response(version_info())


# The probes never open a transaction: with ATOMIC_REQUESTS a dead database would fail the
# request before the view could say which part is down.
@transaction.non_atomic_requests
def healthz(request):
    """The process answers. Nothing else is checked, so a restart is never triggered by a peer."""
    return JsonResponse({"status": "ok"})


@transaction.non_atomic_requests
def readyz(request):
    """Database and broker answer: 200, else 503 naming (only naming) each failing part."""
    failing = readiness_problems()
    if failing:
        return JsonResponse({"status": "unavailable", "failing": failing}, status=503)
    return JsonResponse({"status": "ok"})
