"""values.schema.json: wrong values fail `helm template`, `helm install` and `helm lint`."""

import pytest
from chart import CHART, PROJECT, helm

REJECTED = {
    "wrong type": (
        ["--set-string", "web.replicas=two"],
        "'/web/replicas': got string, want integer",
    ),
    "unknown key": (
        ["--set", "web.replica=3"],
        "'/web': additional properties 'replica' not allowed",
    ),
    "beat replicas 2": (["--set", "beat.replicas=2"], "'/beat/replicas': value must be 1"),
    "beat replicas 0": (["--set", "beat.replicas=0"], "'/beat/replicas': value must be 1"),
    "unquoted config number": (
        ["--set", "config.CELERY_TASK_TIME_LIMIT=300"],
        "'/config/CELERY_TASK_TIME_LIMIT': got number, want string",
    ),
    # DJANGO_ALLOWED_HOSTS and MEDIA_ROOT come from the chart (ingress hosts, media.mountPath).
    "config overriding the chart's own": (
        ["--set-string", "config.MEDIA_ROOT=/srv"],
        "'/config': 'not' failed",
    ),
}


@pytest.mark.parametrize(("values", "named"), REJECTED.values(), ids=REJECTED.keys())
@pytest.mark.parametrize("command", ["template", "lint"])
def test_wrong_values_fail_with_a_message_naming_them(command, values, named):
    args = ["template", PROJECT, str(CHART)] if command == "template" else ["lint", str(CHART)]
    done = helm(*args, *values)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    assert "values don't meet the specifications of the schema" in output, output
    assert named in output, output


def test_the_defaults_and_a_beat_replica_of_one_pass():
    done = helm("template", PROJECT, str(CHART), "--set", "beat.replicas=1")
    assert done.returncode == 0, done.stderr
