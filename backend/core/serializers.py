import copy
from collections.abc import Mapping

from rest_framework import serializers


class RejectUnknownFieldsMixin:
    """Answer 400 for fields the serializer does not know, instead of silently dropping them.

    A typo in a field name ("pasword") would otherwise look like a missing field or, worse,
    succeed while ignoring what the client meant. Read-only fields count as unknown too: a
    client that sends one expects a change that would not happen.
    """

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError(
                    {name: [_refusal(name in self.fields)] for name in unknown}
                )
        return super().to_internal_value(data)


def _refusal(is_read_only: bool) -> str:
    return "This field is read-only." if is_read_only else "Unknown field."


class ModelFieldsOnceMixin:
    """Build a ModelSerializer's fields from the model once per class, not once per request.

    ModelSerializer.get_fields() introspects the model on every instantiation (field mapping,
    validators, choices): the largest single cost of a small API response in the profiler
    (bench/profile_request.py). The fields depend only on Meta and the model, so they are built
    once and each serializer gets a copy, as DRF does for the fields a Serializer declares.
    """

    _model_fields: dict = {}

    def get_fields(self):
        cls = type(self)
        built = ModelFieldsOnceMixin._model_fields
        if cls not in built:
            built[cls] = super().get_fields()
        return {name: _unbound_copy(field) for name, field in built[cls].items()}


def _unbound_copy(field):
    """A new, unbound field made with the same arguments, as Field.__deepcopy__ does, but
    without deep-copying them (lazy labels, choices): fields read their arguments and never
    change them. A nested serializer is deep-copied."""
    if isinstance(field, serializers.BaseSerializer):
        return copy.deepcopy(field)
    return field.__class__(*field._args, **field._kwargs)
