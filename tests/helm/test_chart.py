"""helm lint and helm template: what the chart renders with its defaults and production values."""

import os

import pytest
import yaml
from chart import (
    CHART,
    PRODUCTION_VALUES,
    PROJECT,
    RENDER,
    documents,
    find,
    helm,
    pod_specs,
    run,
    template,
)

VALUE_SETS = {"defaults": [], "production": ["-f", str(PRODUCTION_VALUES)]}


def test_the_chart_is_named_after_the_project():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["name"] == PROJECT
    assert CHART.name == PROJECT


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_helm_lint_strict_passes(values):
    done = helm("lint", "--strict", str(CHART), *values)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 chart(s) linted, 0 chart(s) failed" in done.stdout


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_one_workload_per_process_kind_and_the_migrations_hook(values):
    docs = template(*values)
    kinds = sorted(f"{d['kind']}/{d['metadata']['name']}" for d in docs)
    assert [k for k in kinds if k.startswith(("Deployment/", "Job/"))] == [
        f"Deployment/{PROJECT}-beat",
        f"Deployment/{PROJECT}-web",
        f"Deployment/{PROJECT}-worker",
        f"Job/{PROJECT}-migrate",
    ]
    for kind in ("Service", "Ingress", "PodDisruptionBudget", "ConfigMap", "ServiceAccount",
                 "PersistentVolumeClaim", "NetworkPolicy", "HorizontalPodAutoscaler"):  # fmt: skip
        assert any(d["kind"] == kind for d in docs), kind


def test_migrations_run_as_a_hook_before_install_and_upgrade_and_web_skips_them():
    docs = template()
    job = find(docs, "Job", "-migrate")
    assert job["metadata"]["annotations"]["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == ["setup"]
    # What the Job reads must exist before the release's own resources do: hooks too, created first.
    for kind in ("ConfigMap", "Secret", "ServiceAccount"):
        annotations = find(docs, kind, "-migrate")["metadata"]["annotations"]
        assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
        assert int(annotations["helm.sh/hook-weight"]) < 0
    web = find(docs, "Deployment", "-web")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "DJANGO_SKIP_MIGRATE", "value": "true"} in web["env"]
    assert web["args"] == ["web"]


def test_web_probes_and_autoscaling():
    docs = template()
    container = find(docs, "Deployment", "-web")["spec"]["template"]["spec"]["containers"][0]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    # Django answers only to its ALLOWED_HOSTS; the probes send one of them.
    host = container["readinessProbe"]["httpGet"]["httpHeaders"][0]
    assert host == {"name": "Host", "value": "chart-example.local"}
    hpa = find(docs, "HorizontalPodAutoscaler", "-web")
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    # The HPA owns the replica count.
    assert "replicas" not in find(docs, "Deployment", "-web")["spec"]


def test_beat_is_one_replica_recreated_and_never_autoscaled():
    docs = template("-f", str(PRODUCTION_VALUES))
    beat = find(docs, "Deployment", "-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    targets = [
        d["spec"]["scaleTargetRef"]["name"] for d in docs if d["kind"] == "HorizontalPodAutoscaler"
    ]
    assert sorted(targets) == [f"{PROJECT}-web", f"{PROJECT}-worker"]


def test_worker_grace_period_outlasts_the_task_time_limit():
    default = find(template(), "Deployment", "-worker")["spec"]["template"]["spec"]
    assert default["terminationGracePeriodSeconds"] == 300 + 60
    longer = template("--set-string", "config.CELERY_TASK_TIME_LIMIT=900")
    assert find(longer, "Deployment", "-worker")["spec"]["template"]["spec"][
        "terminationGracePeriodSeconds"] == 960  # fmt: skip


def test_a_grace_period_shorter_than_the_time_limit_is_refused():
    done = helm(
        "template", PROJECT, str(CHART), "--set", "worker.terminationGracePeriodSeconds=100"
    )
    assert done.returncode != 0
    expected = (
        "worker.terminationGracePeriodSeconds (100) must be longer than CELERY_TASK_TIME_LIMIT"
    )
    assert f"{expected} (300)" in done.stderr


@pytest.mark.parametrize("values", VALUE_SETS.values(), ids=VALUE_SETS.keys())
def test_every_pod_is_locked_down(values):
    for where, spec in pod_specs(template(*values)).items():
        assert spec["automountServiceAccountToken"] is False, where
        context = spec["securityContext"]
        assert context["runAsNonRoot"] is True, where
        assert (context["runAsUser"], context["runAsGroup"]) == (10000, 10001), where
        assert context["seccompProfile"] == {"type": "RuntimeDefault"}, where
        assert {"name": "tmp", "emptyDir": {}} in spec["volumes"], where
        for container in spec["containers"]:
            security = container["securityContext"]
            assert security["readOnlyRootFilesystem"] is True, where
            assert security["allowPrivilegeEscalation"] is False, where
            assert security["capabilities"] == {"drop": ["ALL"]}, where
            assert {"name": "tmp", "mountPath": "/tmp"} in container["volumeMounts"], where  # noqa: S108


def test_media_is_one_read_write_many_claim_shared_by_web_and_worker():
    docs = template()
    claim = find(docs, "PersistentVolumeClaim", "-media")
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    for component in ("-web", "-worker"):
        spec = find(docs, "Deployment", component)["spec"]["template"]["spec"]
        volume = next(v for v in spec["volumes"] if v["name"] == "media")
        assert volume["persistentVolumeClaim"]["claimName"] == claim["metadata"]["name"]


def test_settings_from_a_config_map_and_an_existing_secret():
    docs = template("-f", str(PRODUCTION_VALUES))
    config = find(docs, "ConfigMap", PROJECT)["data"]
    assert config["DJANGO_ALLOWED_HOSTS"] == "app.example.com,www.app.example.com"
    assert config["MEDIA_ROOT"] == "/data/media"
    assert not [d for d in docs if d["kind"] == "Secret"]
    for where, spec in pod_specs(docs).items():
        refs = [
            source.get("secretRef", {}).get("name") for source in spec["containers"][0]["envFrom"]
        ]
        assert "webapp-secrets" in refs, where


def test_network_policies_admit_only_the_ingress_controller_to_web():
    docs = template("-f", str(PRODUCTION_VALUES))
    web = find(docs, "NetworkPolicy", "-web-ingress")
    assert web["spec"]["ingress"][0]["from"] == [
        {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}}
    ]
    egress = find(docs, "NetworkPolicy", "-egress")["spec"]
    assert egress["policyTypes"] == ["Ingress", "Egress"]
    ports = [rule["ports"][0]["port"] for rule in egress["egress"]]
    assert ports == [53, 5432, 6379, 587]
    database = egress["egress"][1]["to"]
    assert database == [{"podSelector": {"matchLabels": {"cnpg.io/cluster": "webapp-db"}}}]


def test_no_host_names_is_refused_with_a_message():
    done = helm("template", PROJECT, str(CHART), "--set", "ingress.enabled=false")
    assert done.returncode != 0
    assert "set ingress.hosts or allowedHosts" in done.stderr


def test_render_uses_the_tag_ci_built():
    env_ci = {
        "PATH": os.environ["PATH"],
        "IMAGE_VERSION": "2.3.4",
        "CI_REGISTRY_IMAGE": "registry.test/group/app",
    }
    done = run([str(RENDER)], env=env_ci)
    assert done.returncode == 0, done.stderr
    images = {
        c["image"]
        for spec in pod_specs(documents(done.stdout)).values()
        for c in spec["containers"]
    }
    assert images == {f"registry.test/group/app/{PROJECT}-django:2.3.4"}

    done = run([str(RENDER), "--tag", "9.9.9", "--show-only", "templates/beat-deployment.yaml"],
               env={"PATH": os.environ["PATH"]})  # fmt: skip
    assert done.returncode == 0, done.stderr
    beat = documents(done.stdout)[0]
    assert beat["spec"]["template"]["spec"]["containers"][0]["image"] == f"{PROJECT}-django:9.9.9"


def test_render_refuses_an_option_without_its_value():
    done = run([str(RENDER), "--tag"], env={"PATH": os.environ["PATH"]})
    assert done.returncode == 2
    assert done.stderr == "render: --tag needs a value\n"
