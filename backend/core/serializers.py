from collections.abc import Mapping

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """Answer 400 for fields the serializer does not know, instead of silently dropping them.

    A typo in a field name ("pasword") would otherwise look like a missing field or, worse,
    succeed while ignoring what the client meant.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            unknown = sorted(set(data) - set(self.fields))
            if unknown:
                raise serializers.ValidationError(dict.fromkeys(unknown, ["Unknown field."]))
        return super().to_internal_value(data)
