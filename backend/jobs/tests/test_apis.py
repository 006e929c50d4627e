"""The jobs API through Django's test client. Jobs are processed by calling the service here;
the worker process is in test_tasks.py."""

import io
import json
import uuid
import zipfile
from functools import partial

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from backend.jobs import limits
from backend.jobs.models import ProcessingRequest, ProcessingResult
from backend.jobs.services import job_message_revoke, job_process
from backend.jobs.tests.factories import (
    SAMPLE_CSV,
    ProcessingRequestFactory,
    file_job_create,
)
from backend.jobs.tests.helpers import multipart, stored_files
from backend.jobs.throttles import JobCreateThrottle

pytestmark = pytest.mark.django_db

CREATE = "/api/v1/jobs/create/"
Status = ProcessingRequest.Status


def _create(client, payload):
    """POST JSON as a browser does: UTF-8, non-ASCII unescaped (but a lone surrogate, which
    only escaped JSON can carry)."""
    try:
        body = json.dumps(payload, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        body = json.dumps(payload).encode()
    return client.post(CREATE, body, content_type="application/json")


def _upload(client, file_name: bytes, content: bytes, **fields):
    return client.post(
        CREATE, **multipart({"title": "Upload", **fields}, [("file", file_name, content)])
    )


# Creating
# ------------------------------------------------------------------------------


def test_text_job_is_accepted_and_dispatched_after_commit(
    user, auth_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = _create(auth_client, {"title": " Fox ", "text": "The quick brown fox."})

    assert response.status_code == 202
    job = ProcessingRequest.objects.get()
    assert response.json() == {"id": str(job.id), "status": "pending"}
    assert (job.owner, job.title, job.input_text) == (user, "Fox", "The quick brown fox.")
    assert job.options == {"language": "en", "top_n": 10}
    # The message goes out only once the row is committed, and its send is recorded then.
    assert len(callbacks) == 1
    assert job.dispatched_at is None
    callbacks[0]()
    job.refresh_from_db()
    assert job.dispatched_at is not None
    assert uuid.UUID(job.celery_task_id)


def test_create_is_not_wrapped_in_the_request_transaction():
    # job_create commits (and sends) on its own: ATOMIC_REQUESTS would delay the commit past
    # the view and leave an input file behind if that commit failed.
    assert resolve(CREATE).func._non_atomic_requests


def test_trailing_slash_is_optional(auth_client):
    response = auth_client.post(CREATE.rstrip("/"), {"title": "t", "text": "x"}, format="json")
    assert response.status_code == 202


def test_options_default_to_the_users_language(user, auth_client):
    user.language = "de"
    user.save()
    _create(auth_client, {"title": "t", "text": "Hallo", "options": {"top_n": 3}})
    assert ProcessingRequest.objects.get().options == {"language": "de", "top_n": 3}


def test_file_job_stores_the_upload_under_a_path_of_ids(user, auth_client, media_root):
    response = _upload(auth_client, b"people.CSV", SAMPLE_CSV.encode(), options='{"top_n": 5}')

    assert response.status_code == 202, response.json()
    job = ProcessingRequest.objects.get()
    assert job.input_filename == "people.CSV"
    assert job.input_text == ""
    assert job.options == {"language": "en", "top_n": 5}
    assert job.input_file.name == f"jobs/{user.id}/{job.id}/input.csv"
    assert (media_root / job.input_file.name).read_bytes() == SAMPLE_CSV.encode()


def test_a_form_with_an_empty_text_field_and_a_file_takes_the_file(auth_client):
    response = _upload(auth_client, b"notes.md", b"# Notes\n\nSome words.", text="")
    assert response.status_code == 202
    assert ProcessingRequest.objects.get().input_filename == "notes.md"


@pytest.fixture
def create_rates(monkeypatch, user, other_user):
    """Sets the throttle rates the create view sees. DRF's throttles read the rates once, at
    import, so override_settings would not reach them. The counts live in the cache (Redis):
    cleared before and after, so neither an earlier run nor this test throttles another."""
    keys = [f"throttle_jobs_create_{u.pk}" for u in (user, other_user)]
    cache.delete_many(keys)
    yield partial(monkeypatch.setattr, JobCreateThrottle, "THROTTLE_RATES")
    cache.delete_many(keys)


# A throttled request answers through DRF's exception handler, which marks the test's wrapping
# transaction for rollback: these tests commit for real.
@pytest.mark.django_db(transaction=True)
def test_submissions_are_throttled_per_user(auth_client, other_client, create_rates):
    create_rates({"jobs_create": "3/minute"})
    payload = {"title": "t", "text": "words"}
    statuses = [_create(auth_client, payload).status_code for _ in range(4)]
    assert statuses == [202, 202, 202, 429]
    refused = _create(auth_client, payload)
    assert refused.status_code == 429
    assert "throttled" in refused.json()["detail"]
    assert int(refused["Retry-After"]) > 0
    assert ProcessingRequest.objects.count() == 3
    # Another user has their own allowance, and reading is not limited.
    assert _create(other_client, payload).status_code == 202
    assert auth_client.get("/api/v1/jobs/list/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_without_a_configured_rate_submissions_get_the_default_one(auth_client, create_rates):
    # DRF itself would raise ImproperlyConfigured for a scope without a rate: a 500.
    create_rates({})
    limit = int(JobCreateThrottle.DEFAULT_RATE.split("/")[0])
    payload = {"title": "t", "text": "words"}
    statuses = [_create(auth_client, payload).status_code for _ in range(limit + 1)]
    assert statuses == [202] * limit + [429]


# Bad input: 400 naming the field, nothing stored
# ------------------------------------------------------------------------------


# A refused request answers through DRF's exception handler, which marks the surrounding
# transaction for rollback: in a test's wrapping transaction no query could follow. These tests
# commit for real instead, which also shows that nothing was committed.
refused = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nothing_stored(media_root):
    before = stored_files(media_root)
    yield
    assert ProcessingRequest.objects.count() == 0
    assert stored_files(media_root) == before


@refused
@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "t", "text": ""}, "text", "Text is empty."),
        ({"title": "t", "text": " \n\t "}, "text", "Text is empty."),
        ({"title": "t"}, "text", "Paste some text or upload a file."),
        ({"text": "words"}, "title", "This field is required."),
        ({"title": "", "text": "words"}, "title", "This field may not be blank."),
        ({"title": "x" * 201, "text": "words"}, "title", "no more than 200"),
        ({"title": "t", "text": "a\x00b"}, "text", "Null characters are not allowed."),
        ({"title": "t", "text": "a\ud800b"}, "text", "not valid Unicode"),
        ({"title": "t", "text": "x" * (limits.MAX_TEXT_BYTES + 1)}, "text", "the limit is"),
        # 1 MB of characters, but more than 1 MB of UTF-8.
        ({"title": "t", "text": "ä" * (limits.MAX_TEXT_BYTES // 2 + 1)}, "text", "the limit is"),
        ({"title": "t", "text": "w", "colour": "red"}, "colour", "Unknown field."),
        ({"title": "t", "text": "w", "file": "abc"}, "file", "not a file"),
        ({"title": "t", "text": "w", "options": {"colour": 1}}, "options", "Unknown field."),
        ({"title": "t", "text": "w", "options": [1]}, "options", "must be a JSON object"),
        ({"title": "t", "text": "w", "options": {"language": "fr"}}, "options", "not a valid"),
        ({"title": "t", "text": "w", "options": {"top_n": 0}}, "options", "greater than or equal"),
        ({"title": "t", "text": "w", "options": {"top_n": 101}}, "options", "less than or equal"),
        ({"title": "t", "text": "w", "options": {"top_n": "ten"}}, "options", "valid integer"),
    ],
)
def test_bad_json_input_is_refused(auth_client, nothing_stored, payload, field, message):
    response = _create(auth_client, payload)
    assert response.status_code == 400
    assert field in response.json()
    assert message in json.dumps(response.json()[field], ensure_ascii=False)


CSV_LINES = b"a,b\n1,2\n3,4\n"


@refused
@pytest.mark.parametrize(
    ("file_name", "content", "message"),
    [
        (b"big.txt", b"a" * (limits.MAX_FILE_BYTES + 1), "the limit is 10485760 bytes"),
        (b"", b"words", "not a file"),  # a part without a file name is a plain field
        (b"program.exe", b"words", "Only .txt, .md and .csv"),
        (b"README", b"words", "Only .txt, .md and .csv"),
        (b"notes.txt.pdf", b"words", "Only .txt, .md and .csv"),
        (b"latin1.txt", "Grüße".encode("latin-1"), "not UTF-8"),
        (b"nul.txt", b"text\x00more", "NUL bytes"),
        (b"empty.txt", b"", "The submitted file is empty."),
        (b"blank.txt", b" \n \n", "File contains no text."),
        (b"../../etc/passwd.txt", b"words", "without path parts"),
        (b"dir/notes.txt", b"words", "without path parts"),
        (b"C:\\Users\\me\\notes.txt", b"words", "without path parts"),
        (b"..", b"words", "without path parts"),
        (b"..&#x2F;notes.txt", b"words", "without path parts"),  # HTML-escaped slash
        (b"nul\x00.txt", b"words", "NUL or other control"),
        (b"tab\t.txt", b"words", "NUL or other control"),
        (b"x" * 252 + b".txt", b"words", "longer than 255"),
        (b"prose.csv", b"It was late, and dark.\nThe night, it seems, was long.\n", "Not a CSV"),
        (b"ragged.csv", b"a,b,c\n" + b"1,2,3\n" * 10 + b"4,5\n", "line 12 has 2 fields"),
        (b"one-column.csv", b"name\nAnna\nBob\n", "Not a CSV"),
        (b"header-only.csv", b"a,b,c\n", "Not a CSV"),
        (b"binary.csv", bytes(range(256)), "not UTF-8"),
    ],
)
def test_bad_uploads_are_refused(auth_client, nothing_stored, file_name, content, message):
    response = _upload(auth_client, file_name, content)
    assert response.status_code == 400, response.json()
    assert message in response.json()["file"][0]


@refused
def test_text_and_file_together_are_refused(auth_client, nothing_stored):
    response = _upload(auth_client, b"a.txt", b"file words", text="pasted words")
    assert response.status_code == 400
    assert response.json() == {"file": ["Send either text or a file, not both."]}


@refused
def test_options_in_a_form_must_be_json(auth_client, nothing_stored):
    response = _upload(auth_client, b"a.csv", CSV_LINES, options="{language: en}")
    assert response.status_code == 400
    assert response.json() == {"options": ["Value must be valid JSON."]}


@refused
@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('{"title": "a", "title": "b", "text": "words"}', '"title" is given more than once'),
        ('{"title": "t", "text": "w", "options": {"top_n": 1, "top_n": 2}}', '"top_n" is given'),
    ],
)
def test_json_naming_a_key_twice_is_refused(auth_client, nothing_stored, body, message):
    # json.loads would keep the last value without a word.
    response = auth_client.post(CREATE, body, content_type="application/json")
    assert response.status_code == 400
    assert message in response.json()["detail"]


@refused
@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"title": "t", "text": 123}, "text", "Must be a string, not a number."),
        ({"title": "t", "text": 1.5}, "text", "Must be a string, not a number."),
        ({"title": "t", "text": ["words"]}, "text", "Must be a string, not an array."),
        ({"title": True, "text": "words"}, "title", "Must be a string, not a boolean."),
        ({"title": {"en": "t"}, "text": "words"}, "title", "Must be a string, not an object."),
        ({"title": None, "text": "words"}, "title", "This field may not be null."),
    ],
)
def test_text_and_title_must_be_json_strings(auth_client, nothing_stored, payload, field, message):
    response = _create(auth_client, payload)
    assert response.status_code == 400
    assert response.json() == {field: [message]}


@refused
@pytest.mark.parametrize(
    ("fields", "files", "field"),
    [
        ([("title", "a"), ("title", "b"), ("text", "words")], [], "title"),
        ([("title", "t"), ("text", "one"), ("text", "two")], [], "text"),
        ([("title", "t")], [("file", b"a.txt", b"one"), ("file", b"b.txt", b"two")], "file"),
        (
            [("title", "t"), ("options", "{}"), ("options", "{}")],
            [("file", b"a.txt", b"x")],
            "options",
        ),
    ],
)
def test_a_form_repeating_a_field_is_refused(auth_client, nothing_stored, fields, files, field):
    # Django's QueryDict would quietly take the last one.
    response = auth_client.post(CREATE, **multipart(fields, files))
    assert response.status_code == 400
    assert response.json() == {field: ["Sent 2 times; send it once."]}


@refused
@pytest.mark.parametrize(
    ("title", "position"), [(b"Gr\xfc\xdfe", 2), (b"\xff", 0), (b"ok \xe2\x82", 3)]
)
def test_a_form_field_that_is_not_utf8_is_refused(auth_client, nothing_stored, title, position):
    # Django would store it with U+FFFD in place of each bad byte.
    response = auth_client.post(CREATE, **multipart([("title", title), ("text", "words")]))
    assert response.status_code == 400
    assert response.json() == {
        "title": [f"Not valid UTF-8 text (invalid byte at position {position})."]
    }


@refused
def test_a_file_whose_name_is_not_utf8_is_refused(auth_client, nothing_stored):
    # Django drops such a part entirely: the client was told to paste text or upload a file.
    response = _upload(auth_client, "Grüße.txt".encode("latin-1"), b"words")
    assert response.status_code == 400
    assert response.json() == {"file": ["File name is not valid UTF-8; the part was not read."]}


def test_utf8_form_fields_and_file_names_are_taken_as_sent(auth_client, media_root):
    title = "Grüße, 東京 🦊 \ufffd"  # U+FFFD sent as valid UTF-8 is just a character
    response = auth_client.post(
        CREATE,
        **multipart(
            {"title": title, "options": '{"language": "de"}'},
            [("file", "Übersicht 東京.md".encode(), "Straße und Straße.".encode())],
        ),
    )
    assert response.status_code == 202, response.json()
    job = ProcessingRequest.objects.get()
    assert (job.title, job.input_filename) == (title, "Übersicht 東京.md")
    assert job.options["language"] == "de"
    assert (media_root / job.input_file.name).read_text() == "Straße und Straße."


@refused
def test_a_body_over_the_limit_is_refused_before_it_is_read(auth_client, nothing_stored):
    body = json.dumps({"title": "t", "text": "x" * limits.MAX_REQUEST_BYTES})
    response = auth_client.post(CREATE, body, content_type="application/json")
    assert response.status_code == 413
    assert "the limit is" in response.json()["detail"]


@refused
def test_an_upload_over_the_request_limit_is_refused(auth_client, nothing_stored):
    response = _upload(auth_client, b"huge.txt", b"a" * (limits.MAX_REQUEST_BYTES + 1))
    assert response.status_code == 413


@refused
def test_json_over_djangos_memory_limit_answers_413_not_500(auth_client, settings, nothing_stored):
    # DRF reads a JSON body through request.body, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    # (2.5 MB by default, made smaller here) applies and raises RequestDataTooBig.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = _create(auth_client, {"title": "t", "text": "word " * 100_000})
    assert response.status_code == 413
    assert "limited to 100000 bytes" in response.json()["detail"]


def test_a_text_of_1_mb_fits_the_default_memory_limit_even_with_escapes(auth_client):
    # Every character of it needs escaping in JSON: the body is twice the text.
    response = _create(auth_client, {"title": "t", "text": '"' * limits.MAX_TEXT_BYTES})
    assert response.status_code == 202


@refused
def test_form_fields_over_djangos_memory_limit_answer_413_not_500(
    auth_client, settings, nothing_stored
):
    # Django raises RequestDataTooBig for form fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = auth_client.post(CREATE, **multipart({"title": "t", "text": "w " * 100_000}))
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert response["Content-Type"] == "application/json"


@refused
def test_too_many_form_fields_answer_400(auth_client, settings, nothing_stored):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{i}": "x" for i in range(10)}
    response = auth_client.post(CREATE, **multipart(fields))
    assert response.status_code == 400
    assert "DATA_UPLOAD_MAX_NUMBER_FIELDS" in response.json()["detail"]


# Status, results, list
# ------------------------------------------------------------------------------


def test_status_of_a_pending_job(user, auth_client):
    job = ProcessingRequestFactory(owner=user)
    response = auth_client.get(f"/api/v1/jobs/status/{job.id}/")
    assert response.status_code == 200
    assert response.json() == {
        "id": str(job.id),
        "title": job.title,
        "status": "pending",
        "phase": None,
        "error_message": "",
        "created_at": job.created_at.isoformat().replace("+00:00", "Z"),
        "started_at": None,
        "finished_at": None,
    }


def test_status_of_a_running_job_names_its_phase(user, auth_client):
    job = ProcessingRequestFactory(owner=user, status=Status.PROCESSING, phase="analyse")
    assert auth_client.get(f"/api/v1/jobs/status/{job.id}/").json()["phase"] == "analyse"
    # Only while processing: a finished job's last phase is history.
    ProcessingRequest.objects.filter(pk=job.pk).update(status=Status.COMPLETED)
    assert auth_client.get(f"/api/v1/jobs/status/{job.id}/").json()["phase"] is None


@pytest.mark.parametrize("status", [Status.PENDING, Status.PROCESSING, Status.FAILED])
def test_results_of_an_unfinished_job_answer_409_with_the_status(user, auth_client, status):
    job = ProcessingRequestFactory(owner=user, status=status)
    response = auth_client.get(f"/api/v1/jobs/results/{job.id}/")
    assert response.status_code == 409
    assert response.json()["status"] == status


def test_results_of_a_completed_job(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/results/{completed_job.id}")
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(completed_job.id)
    assert body["status"] == "completed"
    data = body["data"]
    assert data["word_count"] == 30
    assert data["sentence_count"] == 4
    assert data["char_count"] == len(completed_job.input_text)
    assert data["reading_time_minutes"] == 1
    assert data["top_terms"][:2] == [{"term": "fox", "count": 4}, {"term": "dog", "count": 3}]
    assert len(data["top_terms"]) == 5
    assert data["csv"] is None
    assert body["files"] == {
        "csv": f"/api/v1/jobs/download/{completed_job.id}/csv/",
        "report": f"/api/v1/jobs/download/{completed_job.id}/report/",
        "archive": f"/api/v1/jobs/download-archive/{completed_job.id}/",
    }


def test_results_of_a_csv_job_carry_the_column_summaries(user, auth_client):
    job = file_job_create(owner=user, content=SAMPLE_CSV.encode(), name="people.csv")
    job_process(job_id=str(job.pk))
    table = auth_client.get(f"/api/v1/jobs/results/{job.id}/").json()["data"]["csv"]
    assert (table["rows"], table["columns"]) == (3, 3)
    assert table["column_summaries"][1]["mean"] == 38.0


def _list(client, query=""):
    return client.get(f"/api/v1/jobs/list/{query}")


def test_list_is_paginated_newest_first_with_the_users_page_size(user, auth_client):
    user.page_size = 3
    user.save()
    jobs = ProcessingRequestFactory.create_batch(7, owner=user)
    ProcessingRequestFactory()  # someone else's

    first = _list(auth_client).json()
    assert first["count"] == 7
    assert [j["id"] for j in first["results"]] == [str(j.id) for j in reversed(jobs)][:3]
    assert first["previous"] is None
    assert "page=2" in first["next"]
    last = _list(auth_client, "?page=3").json()
    assert [j["id"] for j in last["results"]] == [str(jobs[0].id)]
    assert last["next"] is None
    assert set(first["results"][0]) == {
        "id", "title", "status", "phase", "error_message", "created_at", "started_at",
        "finished_at", "input_filename",
    }  # fmt: skip


def test_list_page_size_and_status_filter(user, auth_client):
    ProcessingRequestFactory.create_batch(3, owner=user, status=Status.FAILED)
    ProcessingRequestFactory.create_batch(2, owner=user)
    response = _list(auth_client, "?status=failed&page_size=2").json()
    assert response["count"] == 3
    assert len(response["results"]) == 2
    assert {j["status"] for j in response["results"]} == {"failed"}
    assert _list(auth_client, "?page_size=100").json()["count"] == 5


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("?page_size=0", "page_size"),
        ("?page_size=101", "page_size"),
        ("?page_size=1000000", "page_size"),
        ("?page_size=-1", "page_size"),
        ("?page_size=ten", "page_size"),
        ("?page=0", "page"),
        ("?status=running", "status"),
        ("?ordering=title", "ordering"),
    ],
)
def test_bad_list_parameters_answer_400(auth_client, query, field):
    response = _list(auth_client, query)
    assert response.status_code == 400
    assert field in response.json()


def test_a_page_past_the_end_is_not_found(user, auth_client):
    ProcessingRequestFactory(owner=user)
    assert _list(auth_client, "?page=2").status_code == 404


def test_list_query_count_does_not_grow_with_page_size(
    user, auth_client, django_assert_num_queries
):
    ProcessingRequestFactory.create_batch(60, owner=user, input_text="big " * 20_000)
    # The token with its user, the count, the page (no transaction: requests are not atomic).
    for page_size in (5, 50):
        with django_assert_num_queries(3):
            response = _list(auth_client, f"?page_size={page_size}")
        assert len(response.json()["results"]) == page_size


def test_list_does_not_load_the_input_text(user, auth_client):
    ProcessingRequestFactory(owner=user)
    with CaptureQueriesContext(connection) as queries:
        _list(auth_client)
    page_query = next(q["sql"] for q in queries if "LIMIT" in q["sql"])
    assert "input_text" not in page_query
    assert '"options"' not in page_query


# Delete
# ------------------------------------------------------------------------------


def test_delete_removes_the_job_its_result_and_its_files(
    auth_client, completed_job, media_root, django_capture_on_commit_callbacks
):
    directory = media_root / "jobs" / str(completed_job.owner_id) / str(completed_job.id)
    assert {p.name for p in directory.iterdir()} == {"terms.csv", "report.md", "archive.zip"}

    with django_capture_on_commit_callbacks(execute=True):
        response = auth_client.delete(f"/api/v1/jobs/delete/{completed_job.id}/")

    assert response.status_code == 204
    assert not ProcessingRequest.objects.exists()
    assert not ProcessingResult.objects.exists()
    assert not directory.exists()


def test_delete_of_a_file_job_removes_the_input_after_the_commit(
    user, auth_client, media_root, django_capture_on_commit_callbacks
):
    job = file_job_create(owner=user, content=SAMPLE_CSV.encode())
    with django_capture_on_commit_callbacks() as callbacks:
        auth_client.delete(f"/api/v1/jobs/delete/{job.id}/")
    # Until the delete is committed the files stay: a rolled back delete loses nothing.
    assert (media_root / job.input_file.name).exists()
    for callback in callbacks:
        callback()
    assert not (media_root / "jobs" / str(user.id) / str(job.id)).exists()


def test_delete_of_an_unfinished_job_revokes_its_message(
    user, auth_client, django_capture_on_commit_callbacks
):
    job = ProcessingRequestFactory(owner=user, status=Status.PROCESSING)
    with django_capture_on_commit_callbacks() as callbacks:
        auth_client.delete(f"/api/v1/jobs/delete/{job.id}/")
    revokes = [c for c in callbacks if c.func is job_message_revoke]
    assert [c.args for c in revokes] == [(job.celery_task_id,)]


def test_delete_of_a_finished_job_revokes_nothing(
    auth_client, completed_job, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        auth_client.delete(f"/api/v1/jobs/delete/{completed_job.id}/")
    assert callbacks
    assert not [c for c in callbacks if c.func is job_message_revoke]


# Downloads
# ------------------------------------------------------------------------------


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


def test_download_of_the_term_frequencies(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/download/{completed_job.id}/csv/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    name = completed_job.title.replace(" ", "-") + "-terms.csv"
    assert response["Content-Disposition"] == f'attachment; filename="{name}"'
    lines = _content(response).decode().splitlines()
    assert lines[:3] == ["term,count", "fox,4", "dog,3"]
    assert len(lines) == 1 + completed_job.result.data["distinct_terms"]


def test_download_of_the_report(auth_client, completed_job):
    response = auth_client.get(
        f"/api/v1/jobs/download/{completed_job.id}/report", HTTP_ACCEPT="text/markdown"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "text/markdown; charset=utf-8"
    report = _content(response).decode()
    assert report.startswith(f"# {completed_job.title}\n")
    assert "| fox | 4 |" in report


def test_download_of_the_archive(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/download-archive/{completed_job.id}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].endswith('.zip"')
    archive = zipfile.ZipFile(io.BytesIO(_content(response)))
    assert sorted(archive.namelist()) == ["analysis.json", "report.md", "terms.csv"]
    assert json.loads(archive.read("analysis.json"))["word_count"] == 30


@pytest.mark.parametrize(
    ("title", "file_name"),
    [
        ('../../etc/"passwd"\r\nX-Evil: 1', "etc-passwd-X-Evil-1-terms.csv"),
        ("...", "job-terms.csv"),
        ("Überblick 2024", None),  # non-ASCII: RFC 6266 filename*
    ],
)
def test_download_names_are_made_safe(user, auth_client, title, file_name):
    job = ProcessingRequestFactory(owner=user, title=title)
    job_process(job_id=str(job.pk))
    disposition = auth_client.get(f"/api/v1/jobs/download/{job.id}/csv/")["Content-Disposition"]
    if file_name:
        assert disposition == f'attachment; filename="{file_name}"'
    else:
        assert disposition == "attachment; filename*=utf-8''%C3%9Cberblick-2024-terms.csv"


def test_download_of_an_unfinished_job_answers_409(user, auth_client):
    job = ProcessingRequestFactory(owner=user)
    response = auth_client.get(f"/api/v1/jobs/download/{job.id}/csv/")
    assert response.status_code == 409
    assert response.json()["status"] == "pending"


def test_unknown_download_kind_is_not_found(auth_client, completed_job):
    response = auth_client.get(f"/api/v1/jobs/download/{completed_job.id}/input/")
    assert response.status_code == 404


def test_download_of_a_file_gone_from_storage_is_not_found(auth_client, completed_job, media_root):
    (media_root / completed_job.result.terms_csv.name).unlink()
    response = auth_client.get(f"/api/v1/jobs/download/{completed_job.id}/csv/")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("terms_csv", "/api/v1/jobs/download/{id}/csv/"),
        ("report_md", "/api/v1/jobs/download/{id}/report/"),
        ("archive_zip", "/api/v1/jobs/download-archive/{id}/"),
    ],
)
def test_download_of_a_file_field_an_admin_cleared_is_a_json_404(
    auth_client, completed_job, field, url
):
    ProcessingResult.objects.filter(request=completed_job).update(**{field: ""})
    response = auth_client.get(url.format(id=completed_job.id))
    assert response.status_code == 404
    assert response.json() == {"detail": "The file is no longer stored."}


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/jobs/results/{id}/",
        "/api/v1/jobs/download/{id}/csv/",
        "/api/v1/jobs/download/{id}/report/",
        "/api/v1/jobs/download-archive/{id}/",
    ],
)
def test_a_completed_job_whose_result_was_deleted_is_not_found(auth_client, completed_job, url):
    # The admin does not delete a result on its own; the shell still can.
    ProcessingResult.objects.filter(request=completed_job).delete()
    response = auth_client.get(url.format(id=completed_job.id))
    assert response.status_code == 404
    assert response.json() == {"detail": "The job's results are no longer stored."}


# Owner isolation and authentication
# ------------------------------------------------------------------------------

ENDPOINTS = [
    ("get", "/api/v1/jobs/status/{id}/"),
    ("get", "/api/v1/jobs/results/{id}/"),
    ("delete", "/api/v1/jobs/delete/{id}/"),
    ("get", "/api/v1/jobs/download/{id}/csv/"),
    ("get", "/api/v1/jobs/download/{id}/report/"),
    ("get", "/api/v1/jobs/download-archive/{id}/"),
]


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_other_users_job_is_not_found(other_client, completed_job, media_root, method, url):
    files = stored_files(media_root)
    response = getattr(other_client, method)(url.format(id=completed_job.id))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such job."}
    assert ProcessingRequest.objects.filter(pk=completed_job.pk).exists()
    assert stored_files(media_root) == files


@pytest.mark.parametrize(("method", "url"), ENDPOINTS)
def test_unknown_job_is_not_found(auth_client, method, url):
    assert getattr(auth_client, method)(url.format(id=uuid.uuid4())).status_code == 404


def test_other_users_jobs_are_not_listed(other_client, completed_job):
    assert _list(other_client).json()["count"] == 0


@pytest.mark.parametrize(
    ("method", "url"), [*ENDPOINTS, ("get", "/api/v1/jobs/list/"), ("post", CREATE)]
)
def test_anonymous_requests_are_refused(api_client, completed_job, method, url):
    response = getattr(api_client, method)(url.format(id=completed_job.id))
    assert response.status_code == 401


def test_the_schema_describes_the_endpoints(auth_client):
    response = auth_client.get(reverse("schema"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    for path in ("/api/v1/jobs/create/", "/api/v1/jobs/list/", "/api/v1/jobs/results/{job_id}/"):
        assert path in paths
