import uuid

import factory
from django.core.files.base import ContentFile

from backend.accounts.tests.factories import UserFactory
from backend.jobs.models import Job

SAMPLE_TEXT = (
    "The quick brown fox jumps over the lazy dog. The dog sleeps in the sun! "
    "Does the fox run away? The fox runs, and the dog dreams of the fox."
)
SAMPLE_CSV = "name,age,city\nAnna,31,Berlin\nBob,45,Paris\nCara,,Berlin\n"


class JobFactory(factory.django.DjangoModelFactory):
    """A pending job with pasted text, as job_create leaves it (minus the message)."""

    class Meta:
        model = Job

    owner = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Job {n}")
    input_text = SAMPLE_TEXT
    options = factory.LazyFunction(lambda: {"language": "en", "top_n": 5})
    celery_task_id = factory.LazyFunction(lambda: str(uuid.uuid4()))


def file_job_create(*, owner, content: bytes, name: str = "input.csv", **fields) -> Job:
    """A pending job whose input is a stored file, as job_create leaves it."""
    job = JobFactory.build(owner=owner, input_text="", input_filename=name, **fields)
    extension = name[name.rindex(".") :] if "." in name else ""
    job.input_file.save(f"input{extension}", ContentFile(content), save=False)
    job.save()
    return job
