"""The jobs API (token auth, owner only). Each view validates, calls a selector or service, and
answers with an output serializer."""

import re

from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.core.exceptions import PayloadTooLarge
from backend.jobs import limits
from backend.jobs.models import Job, JobResult
from backend.jobs.outputs import OUTPUTS
from backend.jobs.parsers import ClientNameMultiPartParser, StrictJSONParser
from backend.jobs.selectors import job_get, job_list
from backend.jobs.serializers import (
    LIST_COLUMNS,
    JobCreatedSerializer,
    JobCreateSerializer,
    JobListItemSerializer,
    JobListQuerySerializer,
    JobResultSerializer,
    JobStatusSerializer,
)
from backend.jobs.services import job_create, job_delete
from backend.jobs.throttles import JobCreateThrottle

DEFAULT_PAGE_SIZE = 10
OUTPUTS_BY_KIND = {output.kind: output for output in OUTPUTS}
_NOT_COMPLETED = inline_serializer(
    "JobNotCompleted", {"detail": serializers.CharField(), "status": serializers.CharField()}
)


# Not atomic per request: job_create commits the row and input file itself, and sends the
# message only after that commit (it also removes the file if the row cannot be stored).
@method_decorator(transaction.non_atomic_requests, name="dispatch")
class JobCreateApi(APIView):
    """Submit text or a file for analysis: 202 with the new job's id and status."""

    parser_classes = (StrictJSONParser, ClientNameMultiPartParser)
    throttle_classes = (JobCreateThrottle,)
    throttle_scope = "jobs_create"

    @extend_schema(request=JobCreateSerializer, responses={202: JobCreatedSerializer})
    def post(self, request):
        _refuse_oversized_body(request)
        serializer = JobCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        upload = data.get("file")
        job = job_create(
            owner=request.user,
            title=data["title"],
            options=data["options"],
            text=data.get("text", ""),
            upload=upload,
            upload_name=upload.client_name if upload else "",
            upload_extension=upload.extension if upload else "",
        )
        return Response(JobCreatedSerializer(job).data, status=status.HTTP_202_ACCEPTED)


def _refuse_oversized_body(request) -> None:
    """Refuse a body over the limit from its Content-Length, before reading any of it.

    Django would otherwise spool a file part of any size to a temporary file before the
    serializer could look at its size.
    """
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise ParseError("Content-Length is not a number.") from None
    if length > limits.MAX_REQUEST_BYTES:
        raise PayloadTooLarge(
            f"Request body is {length} bytes; the limit is {limits.MAX_REQUEST_BYTES} bytes "
            f"(files up to {limits.MAX_FILE_BYTES} bytes, text up to {limits.MAX_TEXT_BYTES})."
        )


class JobStatusApi(APIView):
    @extend_schema(responses=JobStatusSerializer)
    def get(self, request, job_id):
        job = job_get(owner=request.user, job_id=job_id)
        return Response(JobStatusSerializer(job).data)


class JobResultsApi(APIView):
    @extend_schema(responses={200: JobResultSerializer, 409: _NOT_COMPLETED})
    def get(self, request, job_id):
        job = job_get(owner=request.user, job_id=job_id, with_result=True)
        if job.status != Job.Status.COMPLETED:
            return _not_completed(job)
        _stored_result(job)
        return Response(JobResultSerializer(job).data)


def _stored_result(job: Job) -> JobResult:
    """A completed job's result; NotFound if it was deleted on its own (from the shell, say:
    the admin does not allow it)."""
    try:
        return job.result
    except JobResult.DoesNotExist:
        raise NotFound("The job's results are no longer stored.") from None


class FirstPageCountingPaginator(Paginator):
    """Django's Paginator, without its COUNT(*) when the first page is not full.

    Most lists are short and most requests ask for the first page: when that page holds fewer
    rows than fit, they are all there are, and the total is their number. A full page, or any
    later page, is counted as before.
    """

    def page(self, number):
        if number not in (1, "1"):
            return super().page(number)
        rows = list(self.object_list[: self.per_page])
        if len(rows) < self.per_page:
            self.__dict__["count"] = len(rows)  # Paginator.count is a cached_property
        return self._get_page(rows, 1, self)


class JobPagination(PageNumberPagination):
    django_paginator_class = FirstPageCountingPaginator

    def __init__(self, page_size: int):
        self.page_size = page_size


class JobListApi(APIView):
    """The user's jobs, newest first: ?page=, ?page_size= (1-100, default the user's setting),
    ?status=."""

    @extend_schema(parameters=[JobListQuerySerializer], responses=JobListItemSerializer(many=True))
    def get(self, request):
        query = JobListQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        params = query.validated_data
        jobs = job_list(owner=request.user, columns=LIST_COLUMNS, status=params.get("status"))
        page_size = params.get("page_size") or request.user.page_size or DEFAULT_PAGE_SIZE
        paginator = JobPagination(page_size=min(page_size, limits.PAGE_SIZE_MAX))
        page = paginator.paginate_queryset(jobs, request, view=self)
        return paginator.get_paginated_response(JobListItemSerializer(page, many=True).data)


class JobDeleteApi(APIView):
    """Delete a job and its files; an unfinished job is cancelled first (see job_delete)."""

    @extend_schema(responses={204: None})
    def delete(self, request, job_id):
        job = job_get(owner=request.user, job_id=job_id)
        if not job_delete(job=job):
            raise NotFound("No such job.")
        return Response(status=status.HTTP_204_NO_CONTENT)


class AnyAcceptHeader(BaseContentNegotiation):
    """Downloads answer with a file whatever the client accepts (a browser may ask for
    text/csv); the first renderer still formats the JSON errors."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


class JobDownloadApi(APIView):
    """A result file, streamed as an attachment: one of outputs.OUTPUTS, by the route's kind."""

    content_negotiation_class = AnyAcceptHeader

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(), 409: _NOT_COMPLETED}
    )
    def get(self, request, job_id, kind):
        job = job_get(owner=request.user, job_id=job_id, with_result=True)
        if job.status != Job.Status.COMPLETED:
            return _not_completed(job)
        output = OUTPUTS_BY_KIND[kind]
        stored = _stored_result(job).file(output)
        if not stored:  # an admin cleared the field
            raise NotFound("The file is no longer stored.")
        try:
            handle = stored.open("rb")
        except FileNotFoundError:
            raise NotFound("The file is no longer stored.") from None
        return FileResponse(
            handle,
            as_attachment=True,
            filename=download_name(job.title, output.download_suffix),
            content_type=output.content_type,
        )


class JobUnknownDownloadApi(APIView):
    """download/<id>/<kind>/ for a kind no output is served under (the archive has a route of
    its own): a JSON 404 rather than the router's page."""

    @extend_schema(exclude=True)
    def get(self, request, job_id, kind):
        kinds = [output.kind for output in OUTPUTS if output.route.startswith("download/")]
        raise NotFound(f"No such download: use {' or '.join(kinds)}.")


def download_name(title: str, suffix: str) -> str:
    """A file name made from the job's title: letters, digits, - _ . only, at most 80 chars."""
    stem = re.sub(r"[^\w.-]+", "-", title).strip("-._")[:80].strip("-._")
    return f"{stem or 'job'}{suffix}"


def _not_completed(job: Job) -> Response:
    return Response(
        {
            "detail": f"The job is {job.status}; its results exist once it is completed.",
            "status": job.status,
        },
        status=status.HTTP_409_CONFLICT,
    )
