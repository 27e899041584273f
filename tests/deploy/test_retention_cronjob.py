"""The chart runs `rounds retention` daily as a CronJob, locked down like the migrations Job."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from deploy_tools import Rendered, render_with

from rounds.cli import app

DIGEST = "sha256:" + "c" * 64


def _cronjob(rendering: Rendered) -> dict[str, Any]:
    return rendering.named("CronJob", f"{rendering.fullname}-retention")


def _pod(cronjob: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return pod


def test_the_cronjob_runs_rounds_retention_daily_at_02_30_london_one_at_a_time(
    each_rendering: Rendered,
) -> None:
    cronjob = _cronjob(each_rendering)
    spec = cronjob["spec"]
    (container,) = _pod(cronjob)["containers"]

    assert (spec["schedule"], spec["timeZone"]) == ("30 2 * * *", "Europe/London")
    assert spec["concurrencyPolicy"] == "Forbid"
    assert spec["successfulJobsHistoryLimit"] >= 1
    assert spec["failedJobsHistoryLimit"] >= 1
    assert spec["jobTemplate"]["spec"]["backoffLimit"] >= 0
    assert spec["jobTemplate"]["spec"]["activeDeadlineSeconds"] > 0
    assert container["args"] == ["retention"]
    # The image's entrypoint is the rounds command: the argument must be one of its commands.
    assert "retention" in {command.name or command.callback.__name__ for command in app.registered_commands}  # type: ignore[union-attr]


def test_the_job_gets_the_people_database_from_the_secret_and_nothing_else_secret(
    each_rendering: Rendered,
) -> None:
    (container,) = _pod(_cronjob(each_rendering))["containers"]
    env = {entry["name"]: entry for entry in container["env"]}
    people = each_rendering.component("Deployment", "people")["spec"]["template"]["spec"]["containers"][0]
    people_url = next(e for e in people["env"] if e["name"] == "ROUNDS_PEOPLE_DATABASE_URL")

    assert env["ROUNDS_PEOPLE_DATABASE_URL"]["valueFrom"]["secretKeyRef"]["key"] == "people"
    # The very Secret and key the people service reads, whatever the values name.
    assert env["ROUNDS_PEOPLE_DATABASE_URL"] == people_url
    secrets = {name for name, entry in env.items() if "secretKeyRef" in entry.get("valueFrom", {})}
    assert secrets == {"ROUNDS_PEOPLE_DATABASE_URL"}
    assert "KAFKA_BOOTSTRAP_SERVERS" not in env
    assert "envFrom" not in container
    # The provider's day decides what has run out: the same setting the services read.
    zone = env["ROUNDS_PROVIDER_TIME_ZONE"]["valueFrom"]["configMapKeyRef"]
    assert zone == {"name": f"{each_rendering.fullname}-platform", "key": "ROUNDS_PROVIDER_TIME_ZONE"}


def test_the_job_is_locked_down_with_its_own_account_and_reaches_only_dns_and_the_database(
    each_rendering: Rendered,
) -> None:
    name = f"{each_rendering.fullname}-retention"
    pod = _pod(_cronjob(each_rendering))
    (container,) = pod["containers"]
    account = each_rendering.named("ServiceAccount", pod["serviceAccountName"])
    policy = each_rendering.named("NetworkPolicy", name)

    assert pod["serviceAccountName"] == name
    assert pod["automountServiceAccountToken"] is False
    assert account["automountServiceAccountToken"] is False
    assert pod["restartPolicy"] == "Never"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert container["resources"]["requests"]
    assert container["resources"]["limits"]
    template_labels = _cronjob(each_rendering)["spec"]["jobTemplate"]["spec"]["template"]["metadata"][
        "labels"
    ]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= template_labels.items()
    assert {port["port"] for rule in policy["spec"]["egress"] for port in rule["ports"]} == {53, 5432}
    assert "ingress" not in policy["spec"]


def test_retention_enabled_false_renders_no_cronjob_and_a_digest_pins_it(helm: Path, tmp_path: Path) -> None:
    off = render_with(helm, tmp_path / "off", "r", ["--set", "retention.enabled=false"])
    pinned = render_with(helm, tmp_path / "pinned", "r", ["--set", f"image.digest={DIGEST}"])

    assert off.of_kind("CronJob") == []
    assert "r-rounds-retention" not in {doc["metadata"]["name"] for doc in off.documents}
    (container,) = _pod(_cronjob(pinned))["containers"]
    assert container["image"] == f"rounds@{DIGEST}"


def test_the_schedule_and_its_time_zone_are_values(helm: Path, tmp_path: Path) -> None:
    moved = render_with(
        helm,
        tmp_path / "moved",
        "r",
        ["--set", "retention.schedule=15 4 * * *", "--set", "retention.timeZone=Europe/Dublin"],
    )

    spec = _cronjob(moved)["spec"]
    assert (spec["schedule"], spec["timeZone"]) == ("15 4 * * *", "Europe/Dublin")
