from pathlib import PurePosixPath

from django.urls import reverse
from django.utils.datastructures import MultiValueDict
from rest_framework import serializers
from rest_framework.validators import ProhibitSurrogateCharactersValidator

from backend.core.serializers import ModelFieldsOnceMixin, RejectUnknownFieldsMixin
from backend.jobs import limits
from backend.jobs.inputs import InputError, input_text
from backend.jobs.models import Job
from backend.jobs.outputs import OUTPUTS

LANGUAGES = ("en", "de")


class StringField(serializers.CharField):
    """A CharField that takes strings only: DRF's turns 123 into "123", and a client sending a
    number for a text has a bug it should hear about. Lone surrogates ("\\ud800", which JSON
    may carry and PostgreSQL cannot store) are refused by one encode, in C, in place of DRF's
    validator, which looks at each character in Python."""

    default_error_messages = {
        "not_a_string": "Must be a string, not {kind}.",
        "not_unicode": "Contains characters that are not valid Unicode.",
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.validators = [
            validator
            for validator in self.validators
            if not isinstance(validator, ProhibitSurrogateCharactersValidator)
        ]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("not_a_string", kind=_json_kind(data))
        try:
            data.encode("utf-8")
        except UnicodeEncodeError:
            self.fail("not_unicode")
        return super().to_internal_value(data)


def _json_kind(value) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class JobOptionsSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    language = serializers.ChoiceField(choices=LANGUAGES, required=False)
    top_n = serializers.IntegerField(min_value=1, max_value=limits.TOP_N_MAX, required=False)


class JobCreateSerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    """Text (pasted) or a file (uploaded), never both; checked fully before anything is stored.

    `options` is a JSON object; in a multipart form it is a field holding JSON text.
    """

    title = StringField(max_length=limits.MAX_TITLE_LENGTH)
    text = StringField(required=False, allow_blank=True, trim_whitespace=False)
    file = serializers.FileField(required=False, max_length=None)
    options = serializers.JSONField(required=False)

    def to_internal_value(self, data):
        # A form may repeat a field ("file" twice): QueryDict would quietly take the last.
        if isinstance(data, MultiValueDict):
            repeated = {
                name: [f"Sent {len(values)} times; send it once."]
                for name, values in data.lists()
                if len(values) > 1
            }
            if repeated:
                raise serializers.ValidationError(repeated)
        return super().to_internal_value(data)

    def validate_text(self, text: str) -> str:
        size = len(text.encode("utf-8"))
        if size > limits.MAX_TEXT_BYTES:
            raise serializers.ValidationError(
                f"Text is {size} bytes; the limit is {limits.MAX_TEXT_BYTES} bytes (1 MB)."
            )
        return text

    def validate_file(self, upload):
        # Django has the upload in memory or in a temporary file; nothing is in MEDIA_ROOT yet.
        if upload.size > limits.MAX_FILE_BYTES:
            raise serializers.ValidationError(
                f"File is {upload.size} bytes; the limit is {limits.MAX_FILE_BYTES} bytes (10 MB)."
            )
        name = getattr(upload, "client_name", upload.name)
        extension = _check_file_name(name)
        content = upload.read()
        upload.seek(0)
        try:
            input_text(content, is_csv=extension == ".csv")
        except InputError as exc:
            raise serializers.ValidationError(str(exc)) from exc
        upload.client_name = name
        upload.extension = extension
        return upload

    def validate_options(self, options):
        if not isinstance(options, dict):
            raise serializers.ValidationError("Options must be a JSON object.")
        checked = JobOptionsSerializer(data=options)
        checked.is_valid(raise_exception=True)
        return checked.validated_data

    def validate(self, attrs):
        text = attrs.get("text")
        upload = attrs.get("file")
        # A form posts its empty text box along with the file: that is not "both".
        has_text = bool(text and text.strip())
        if upload is not None and has_text:
            raise serializers.ValidationError({"file": ["Send either text or a file, not both."]})
        if upload is None:
            if text is None:
                raise serializers.ValidationError({"text": ["Paste some text or upload a file."]})
            if not has_text:
                raise serializers.ValidationError({"text": ["Text is empty."]})
        user = self.context["request"].user
        options = attrs.get("options", {})
        user_language = user.language if user.language in LANGUAGES else "en"
        attrs["options"] = {
            "language": options.get("language", user_language),
            "top_n": options.get("top_n", limits.TOP_N_DEFAULT),
        }
        return attrs


def _check_file_name(name: str) -> str:
    """Refuse names with path parts or control characters; return the lower-case extension."""
    if not name or name in (".", "..") or "/" in name or "\\" in name:
        raise serializers.ValidationError("File name must be a plain name, without path parts.")
    if any(not char.isprintable() for char in name):
        raise serializers.ValidationError(
            "File name must not contain NUL or other control characters."
        )
    if len(name) > limits.MAX_FILE_NAME_LENGTH:
        raise serializers.ValidationError(
            f"File name is longer than {limits.MAX_FILE_NAME_LENGTH} characters."
        )
    extension = PurePosixPath(name).suffix.lower()
    if extension not in limits.ALLOWED_EXTENSIONS:
        raise serializers.ValidationError("Only .txt, .md and .csv files are accepted.")
    return extension


class JobListQuerySerializer(RejectUnknownFieldsMixin, serializers.Serializer):
    page = serializers.IntegerField(min_value=1, required=False, default=1)
    page_size = serializers.IntegerField(
        min_value=1, max_value=limits.PAGE_SIZE_MAX, required=False
    )
    status = serializers.ChoiceField(choices=Job.Status.choices, required=False)


class JobCreatedSerializer(ModelFieldsOnceMixin, serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = ("id", "status")


class JobStatusSerializer(ModelFieldsOnceMixin, serializers.ModelSerializer):
    # The run's phase while processing (prepare, analyse, save), else null.
    phase = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = (
            "id",
            "title",
            "status",
            "phase",
            "error_message",
            "created_at",
            "started_at",
            "finished_at",
        )

    def get_phase(self, job) -> str | None:
        return (job.phase or None) if job.status == Job.Status.PROCESSING else None


class JobListItemSerializer(JobStatusSerializer):
    input_filename = serializers.CharField()

    class Meta(JobStatusSerializer.Meta):
        fields = (*JobStatusSerializer.Meta.fields, "input_filename")


# The columns the list needs: the input text (up to 1 MB a row) and options stay in the table.
LIST_COLUMNS = JobListItemSerializer.Meta.fields


class JobResultSerializer(ModelFieldsOnceMixin, serializers.ModelSerializer):
    data = serializers.JSONField(source="result.data")
    files = serializers.SerializerMethodField()

    class Meta:
        model = Job
        fields = ("id", "title", "status", "data", "files")

    def get_files(self, job) -> dict:
        return {
            output.kind: reverse(f"jobs:{output.url_name}", kwargs={"job_id": job.id})
            for output in OUTPUTS
        }
