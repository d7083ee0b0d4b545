"""deploy/ for IT's clusters, checked without a cluster: the Kustomize production overlay
renders (``kubectl kustomize``), every object is valid for the Kubernetes API (its schemas,
strictly: a misspelt field fails), every process type is a Deployment with replicas, probes
and resources, beat runs exactly once, a budget keeps each replicated one up through a drain,
migrations are a Job, and the settings given are real ones. The Compose file runs the same
processes from the same image."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from shared.config import Settings

ROOT = Path(__file__).resolve().parents[1]
OVERLAY = ROOT / "deploy" / "kubernetes" / "overlays" / "production"
KUBERNETES = "1.30.0"
PROCESSES = {
    "planner-offers", "planner-booking", "planner-offers-consumer", "planner-booking-consumer", "planner-worker",
    "planner-beat", "planner-booking-mail",
}  # fmt: skip
SETTINGS = {f"PLANNER_{name.upper()}" for name in Settings.model_fields}


def kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        if os.environ.get("PLANNER_REQUIRE_SERVICES") == "1":
            pytest.fail("kubectl is missing (.ci/run installs Debian's kubernetes-client)")
        pytest.skip("kubectl is missing")
    return found


def rendered(folder: Path = OVERLAY) -> list[dict[str, Any]]:
    out = subprocess.run([kubectl(), "kustomize", str(folder)], capture_output=True, text=True, check=True, timeout=60)
    return [doc for doc in yaml.safe_load_all(out.stdout) if doc]


def by_kind(docs: list[dict[str, Any]], kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in docs if doc["kind"] == kind}


def test_every_object_is_valid_for_the_kubernetes_api() -> None:
    docs = rendered()
    for doc in docs:
        kubernetes_validate.validate(doc, KUBERNETES, strict=True)
    assert {doc["metadata"].get("namespace") for doc in docs} == {"jobcenter-planner"}


def test_a_misspelt_field_is_caught(tmp_path: Path) -> None:
    [worker] = [d for d in rendered() if d["kind"] == "Deployment" and d["metadata"]["name"] == "planner-worker"]
    container = worker["spec"]["template"]["spec"]["containers"][0]
    container["livenesProbe"] = container.pop("livenessProbe")
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(worker, KUBERNETES, strict=True)


def test_each_process_type_is_a_deployment_with_probes_and_resources() -> None:
    docs = rendered()
    deployments = by_kind(docs, "Deployment")
    assert set(deployments) == PROCESSES
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]["spec"]
        [container] = pod["containers"]
        assert container["image"] == "registry.kommune.example/jobcenter-planner:0.1.0", name
        assert "livenessProbe" in container and container["resources"]["requests"], name
        assert container["resources"]["limits"]["memory"], name
        assert pod["securityContext"]["runAsNonRoot"] and container["securityContext"]["readOnlyRootFilesystem"]
        if name != "planner-beat" and name != "planner-booking-mail":
            assert "readinessProbe" in container, name
    for name in ("planner-offers", "planner-booking"):
        container = deployments[name]["spec"]["template"]["spec"]["containers"][0]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert deployments[name]["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    services = by_kind(docs, "Service")
    assert set(services) == {"planner-offers", "planner-booking"}


def test_beat_runs_exactly_once_and_the_others_survive_a_drain() -> None:
    docs = rendered()
    deployments = by_kind(docs, "Deployment")
    beat = deployments["planner-beat"]["spec"]
    assert beat["replicas"] == 1 and beat["strategy"] == {"type": "Recreate"}  # never two beats at once
    replicated = {name for name, d in deployments.items() if d["spec"]["replicas"] > 1}
    assert replicated == PROCESSES - {"planner-beat"}
    budgets = by_kind(docs, "PodDisruptionBudget")
    covered = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for b in budgets.values()}
    assert covered == replicated and all(b["spec"]["minAvailable"] == 1 for b in budgets.values())


def test_migrations_are_a_job_and_the_settings_are_real_ones() -> None:
    docs = rendered()
    [job] = by_kind(docs, "Job").values()
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["planner", "migrate", "all"]
    config = by_kind(docs, "ConfigMap")["planner-config"]["data"]
    secrets = by_kind(docs, "Secret")["planner-secrets"]["stringData"]
    assert set(config) <= SETTINGS and set(secrets) <= SETTINGS, (set(config) | set(secrets)) - SETTINGS
    assert not set(config) & set(secrets)
    assert config["PLANNER_OFFERS_PUBLIC_URL"] == "https://moedetilbud.kommune.example"  # the overlay's
    brokers = {
        d["metadata"]["name"]: next(e for e in d["spec"]["template"]["spec"]["containers"][0]["env"]
                                    if e["name"] == "PLANNER_BROKER_URL")["valueFrom"]["secretKeyRef"]["key"]
        for d in by_kind(docs, "Deployment").values()
    }  # fmt: skip
    assert brokers["planner-booking"] == "booking" and brokers["planner-worker"] == "calendar_sync"
    assert set(by_kind(docs, "Secret")["planner-broker"]["stringData"]) == set(brokers.values())


def test_the_compose_file_runs_every_process_from_the_image() -> None:
    compose = yaml.safe_load((ROOT / "deploy" / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"postgres", "rabbitmq", "migrate"} | {p.removeprefix("planner-") for p in PROCESSES}
    for name, service in services.items():
        if name in ("postgres", "rabbitmq"):
            continue
        assert service["build"]["dockerfile"] == "deploy/Containerfile" and service["read_only"] is True, name
        assert set(service["environment"]) <= SETTINGS, name
        if name != "migrate":
            assert service["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}, name
    assert (ROOT / "deploy" / "compose" / "initdb.sql").is_file()
    containerfile = (ROOT / "deploy" / "Containerfile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements/deploy.lock" in containerfile and "USER 10001" in containerfile
