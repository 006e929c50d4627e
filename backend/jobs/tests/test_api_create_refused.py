"""Bad submissions: 400 (or 413) naming the field, and nothing stored."""

import json

import pytest

from backend.jobs import limits
from backend.jobs.models import Job
from backend.jobs.tests.helpers import CREATE, multipart, post_json, post_upload, stored_files

pytestmark = pytest.mark.django_db
Status = Job.Status


# A refused request answers through DRF's exception handler, which marks the surrounding
# transaction for rollback: in a test's wrapping transaction no query could follow. These tests
# commit for real instead, which also shows that nothing was committed.
refused = pytest.mark.django_db(transaction=True)


@pytest.fixture
def nothing_stored(media_root):
    before = stored_files(media_root)
    yield
    assert Job.objects.count() == 0
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
    response = post_json(auth_client, payload)
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
    response = post_upload(auth_client, file_name, content)
    assert response.status_code == 400, response.json()
    assert message in response.json()["file"][0]


@refused
def test_text_and_file_together_are_refused(auth_client, nothing_stored):
    response = post_upload(auth_client, b"a.txt", b"file words", text="pasted words")
    assert response.status_code == 400
    assert response.json() == {"file": ["Send either text or a file, not both."]}


@refused
def test_options_in_a_form_must_be_json(auth_client, nothing_stored):
    response = post_upload(auth_client, b"a.csv", CSV_LINES, options="{language: en}")
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
    response = post_json(auth_client, payload)
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
    response = post_upload(auth_client, "Grüße.txt".encode("latin-1"), b"words")
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
    job = Job.objects.get()
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
    response = post_upload(auth_client, b"huge.txt", b"a" * (limits.MAX_REQUEST_BYTES + 1))
    assert response.status_code == 413


@refused
def test_json_over_djangos_memory_limit_answers_413_not_500(auth_client, settings, nothing_stored):
    # DRF reads a JSON body through request.body, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    # (2.5 MB by default, made smaller here) applies and raises RequestDataTooBig.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100_000
    response = post_json(auth_client, {"title": "t", "text": "word " * 100_000})
    assert response.status_code == 413
    assert "limited to 100000 bytes" in response.json()["detail"]


def test_a_text_of_1_mb_fits_the_default_memory_limit_even_with_escapes(auth_client):
    # Every character of it needs escaping in JSON: the body is twice the text.
    response = post_json(auth_client, {"title": "t", "text": '"' * limits.MAX_TEXT_BYTES})
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
