"""outputs.OUTPUTS is the one list of a job's files: each names a file field and a route."""

import uuid

from django.db import models
from django.urls import resolve, reverse

from backend.jobs.models import JobResult
from backend.jobs.outputs import OUTPUTS


def test_every_file_field_of_a_result_is_an_output_and_the_other_way_round():
    file_fields = {
        field.name for field in JobResult._meta.get_fields() if isinstance(field, models.FileField)
    }
    assert file_fields == {output.field for output in OUTPUTS}


def test_every_output_is_served_at_its_route_as_its_kind():
    job_id = uuid.uuid4()
    for output in OUTPUTS:
        url = reverse(f"jobs:{output.url_name}", kwargs={"job_id": job_id})
        assert url == "/api/v1/jobs/" + output.route.replace("<uuid:job_id>", str(job_id))
        assert resolve(url).kwargs == {"job_id": job_id, "kind": output.kind}


def test_outputs_have_distinct_kinds_and_file_names():
    assert len({output.kind for output in OUTPUTS}) == len(OUTPUTS)
    assert len({output.file_name for output in OUTPUTS}) == len(OUTPUTS)
