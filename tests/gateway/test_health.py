"""How the gateway's /readyz sums up the services' answers."""

from __future__ import annotations

from gateway.health import PlatformReadiness, ServiceReadiness, ServiceState


def ready(name: str) -> ServiceReadiness:
    return ServiceReadiness(name, f"http://{name}/readyz", ServiceState.READY)


def unreachable(name: str) -> ServiceReadiness:
    return ServiceReadiness(
        name,
        f"http://{name}/readyz",
        ServiceState.UNREACHABLE,
        "cannot connect (ConnectError)",
        advice=f"See logs/{name}.log.",
    )


def test_platform_is_ready_only_when_every_service_is() -> None:
    assert PlatformReadiness((ready("people"), ready("rota"))).ready
    assert not PlatformReadiness((ready("people"), unreachable("rota"))).ready


def test_summary_names_the_service_and_says_where_to_look() -> None:
    report = PlatformReadiness((ready("people"), unreachable("rota")))
    assert report.summary() == (
        "Not every service is ready: rota is unreachable (cannot connect (ConnectError)). See logs/rota.log."
    )


def test_summary_of_several_unreachable_services_points_at_their_entries() -> None:
    not_ready = ServiceReadiness(
        "people", "http://people/readyz", ServiceState.NOT_READY, "HTTP 503: db down"
    )
    report = PlatformReadiness((not_ready, unreachable("rota"), unreachable("visits")))
    summary = report.summary()
    assert summary.startswith("Not every service is ready: people is not ready (HTTP 503: db down); rota is")
    assert summary.endswith("Each unreachable service's entry under `services` says where to look.")
    assert report.services_json()["rota"] == {
        "state": "unreachable",
        "url": "http://rota/readyz",
        "reason": "cannot connect (ConnectError)",
        "advice": "See logs/rota.log.",
    }
    assert "advice" not in report.services_json()["people"]
