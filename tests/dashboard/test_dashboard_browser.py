"""The dashboard in a real headless Chromium against ``rounds up`` (issue 9's "Done when").

The platform is the embedded default with the demo provider loaded (``rounds demo load --size tiny``);
the test's own data is made through the public API, as an operator would: a second locality, care
workers, an individual, a care package with a visit today allocated to a worker. The visit's late
threshold is then set to pass a few seconds into the test; the coordinator's page shows the visit turn
late and the alert arrive without reloading, acknowledges it and moves the visit. A coordinator of
another locality and a care worker see none of it. Screenshots are saved as test artefacts.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.dashboard.conftest import Platform

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600)]

LONDON = ZoneInfo("Europe/London")
HOME = {"lat": 54.0069, "lon": -1.4665}
# Without a current enhanced DBS nobody may be sent into a home (people's compliance rule).
DBS = {"certificate_number": "001234567890", "issued_on": "2025-01-06", "recheck_due": "2028-01-06"}
THRESHOLDS = {"missed_after_minutes": 240, "short_share": 0.75, "overrun_after_minutes": 15}


def eventually(check: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
    """Poll ``check`` until it returns something truthy."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.5)
    pytest.fail(f"not within {timeout} s: {what}")


def ok(response: httpx.Response, *codes: int) -> Any:
    """The JSON body of a response that must have succeeded."""
    assert response.status_code in (codes or (200, 201, 202, 204)), response.text
    return response.json() if response.content else None


@dataclass
class Seeded:
    """What the API made for the test."""

    worker_id: str
    other_worker_id: str
    visit_type: str
    spare_worker_id: str
    individual_id: str
    visit_id: str
    other_visit_id: str
    planned_start: datetime
    today: date


def _set_late_after(api: httpx.Client, visit_type: str, minutes: float) -> None:
    body = {**THRESHOLDS, "late_after_minutes": minutes, "overdue_grace_minutes": 30}
    ok(api.put(f"/v1/visits/thresholds/{visit_type}", json=body))


def _seed(platform: Platform) -> Seeded:
    now = datetime.now(LONDON)
    # A visit that starts at the next whole minute but one (rota generates only visits whose window
    # has not opened); near midnight it would fall on tomorrow's board.
    start = (now + timedelta(seconds=90)).replace(second=0, microsecond=0)
    if start.date() != now.date():
        pytest.skip("too close to midnight in London for a visit today")
    with platform.client(platform.token("registered_manager")) as api:
        for name in ("Harrogate", "Ripon"):
            # Harrogate is the demo provider's locality already (409); Ripon is new.
            ok(api.post("/v1/people/localities", json={"name": name}), 201, 409)
        workers = {}
        staff = (("Asha", "Patel", "Harrogate"), ("Ben", "Okafor", "Ripon"), ("Chris", "Dunn", "Harrogate"))
        for given, family, locality in staff:
            body = {
                "given_name": given,
                "family_name": family,
                "role": "care_worker",
                "locality": locality,
                "dbs": DBS,
            }
            workers[given] = ok(api.post("/v1/people/workers", json={**body, "skills": ["personal_care"]}))[
                "id"
            ]
        individual = ok(
            api.post(
                "/v1/people/individuals",
                json={
                    "given_name": "Edna",
                    "family_name": "Moss",
                    "locality": "Harrogate",
                    "address": {
                        "lines": ["12 Station Road", "Knaresborough"],
                        "postcode": "HG5 0AA",
                        "location": HOME,
                    },
                },
            ),
            201,
        )["id"]
        # Until the test moves it, the late threshold is the default (15 minutes after the start).
        for worker_id in workers.values():
            eventually(
                lambda w=worker_id: api.get(f"/v1/rota/workers/{w}").status_code == 200,
                what="rota knows the worker",
            )
            every_day = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(7)]
            ok(
                api.put(f"/v1/rota/workers/{worker_id}/planning-profile", json={"availability": every_day}),
                204,
            )
        visits = {}
        for locality, worker_id in (("Harrogate", workers["Asha"]), ("Ripon", workers["Ben"])):
            package = {
                "individual_id": individual
                if locality == "Harrogate"
                else "0b0b0b0b-0000-4000-8000-000000000001",
                "locality": locality,
                "location": HOME,
                "address": f"12 Station Road, {locality}",
                "start_date": now.date().isoformat(),
                "visits": [
                    {
                        "id": "morning",
                        "weekdays": [now.weekday()],
                        "preferred_start": start.strftime("%H:%M"),
                        "duration_minutes": 30,
                        "flexibility_minutes": 0,
                        "tasks": ["wash", "breakfast"],
                    }
                ],
            }
            ok(api.post("/v1/rota/packages", json=package), 201)
            (visit,) = [
                v
                for v in ok(
                    api.get("/v1/rota/visits", params={"date": now.date().isoformat(), "locality": locality})
                )
                if v["individual_id"] == package["individual_id"]
            ]
            allocation = {
                "workers": [worker_id],
                "start": visit["planned_start"],
                "override_reason": "browser test",
            }
            # Rota learns that the worker may work from people's compliance event, a moment later.
            eventually(
                lambda v=visit["id"], a=allocation: (
                    api.put(f"/v1/rota/visits/{v}/allocation", json=a).status_code == 200
                ),
                what="the worker can be allocated",
            )
            visits[locality] = visit["id"]

        def visits_knows(visit_id: str, worker_id: str) -> bool:
            response = api.get(f"/v1/visits/visits/{visit_id}")
            return response.status_code == 200 and worker_id in response.json()["workers"]

        for visit_id, worker_id in (
            (visits["Harrogate"], workers["Asha"]),
            (visits["Ripon"], workers["Ben"]),
        ):
            eventually(lambda v=visit_id, w=worker_id: visits_knows(v, w), what="visits has the allocation")
        # The visit type the monitor's thresholds are set by (what the rota's event named).
        visit_type = ok(api.get(f"/v1/visits/visits/{visits['Harrogate']}"))["service_type"]
        # Whatever the demo set for that type, the visit is not late until the test says so.
        _set_late_after(api, visit_type, 120)
    return Seeded(
        visit_type=visit_type,
        worker_id=workers["Asha"],
        other_worker_id=workers["Ben"],
        spare_worker_id=workers["Chris"],
        individual_id=individual,
        visit_id=visits["Harrogate"],
        other_visit_id=visits["Ripon"],
        planned_start=start.astimezone(UTC),
        today=now.date(),
    )


@pytest.fixture(scope="module")
def demo(platform: Platform) -> None:
    """The embedded default with the demo provider in it (``rounds demo load --size tiny``)."""
    command = [sys.executable, "-m", "rounds.cli", "demo", "load", "--size", "tiny", "--seed", "7"]
    command += ["--gateway", platform.url, "--data-dir", str(platform.data_dir)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


@pytest.fixture(scope="module")
def seeded(platform: Platform, demo: None) -> Seeded:
    return _seed(platform)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-GB")
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the page threw: {errors}"


def test_a_coordinator_sees_a_visit_turn_late_live_and_acknowledges_the_alert(
    platform: Platform, seeded: Seeded, page: Any, artefacts: Path
) -> None:
    from playwright.sync_api import expect

    coordinator = platform.token("coordinator", localities=["Harrogate"])
    page.goto(f"{platform.url}/dashboard#token={coordinator}")
    row = page.locator(f'tr[data-visit="{seeded.visit_id}"]')
    expect(row).to_have_attribute("data-status", "scheduled", timeout=20_000)
    expect(row).to_contain_text("Asha Patel")
    expect(page.locator(f'tr[data-visit="{seeded.other_visit_id}"]')).to_have_count(0)
    expect(page.locator("#live-state")).to_have_text("live", timeout=15_000)
    # The token left the address bar (history) at once.
    assert "token=" not in page.url
    page.evaluate("window.__notReloaded = true")
    page.screenshot(path=str(artefacts / "board-scheduled.png"), full_page=True)

    # The planned start passes; the threshold is moved so that the visit is late 4 s from now.
    wait = (seeded.planned_start - datetime.now(UTC)).total_seconds() + 1
    if wait > 0:
        time.sleep(wait)
    with platform.client(platform.token("registered_manager")) as api:
        overdue = (datetime.now(UTC) - seeded.planned_start).total_seconds() + 4
        _set_late_after(api, seeded.visit_type, overdue / 60)
    made_late = time.monotonic()

    try:
        expect(row).to_have_attribute("data-status", "late", timeout=60_000)
    except AssertionError:
        with platform.client(platform.token("registered_manager")) as api:
            stored = api.get(f"/v1/visits/visits/{seeded.visit_id}").json()
        raise AssertionError(f"the page did not show late; the visits service has {stored}") from None
    seen_late = time.monotonic() - made_late
    expect(page.locator(".count-late strong")).to_have_text("1")
    alert = page.locator("li.alert").filter(has_text="Asha")
    expect(alert).to_have_count(1, timeout=30_000)
    assert page.evaluate("window.__notReloaded === true"), "the page reloaded"
    page.screenshot(path=str(artefacts / "board-late-alert.png"), full_page=True)

    alert.get_by_role("button", name="Acknowledge").click()
    expect(alert).to_contain_text("acknowledged", timeout=15_000)
    alert_id = alert.get_attribute("data-alert")
    with platform.client(platform.token("registered_manager")) as api:
        stored = ok(api.get(f"/v1/alerts/alerts/{alert_id}"))
    assert stored["acknowledged_at"] is not None
    # Taking it on assigns it to the signed-in coordinator (the token's subject).
    alert.get_by_role("button", name="Take it").click()
    expect(alert).to_contain_text("assigned to you", timeout=15_000)
    with platform.client(platform.token("registered_manager")) as api:
        assert ok(api.get(f"/v1/alerts/alerts/{alert_id}"))["assignee_id"] == page.evaluate(
            "JSON.parse(atob(sessionStorage.getItem('rounds.token').split('.')[1]"
            ".replace(/-/g, '+').replace(/_/g, '/'))).sub"
        )
    page.screenshot(path=str(artefacts / "alert-acknowledged.png"), full_page=True)
    print(f"late seen on the page {seen_late:.1f} s after the threshold was set to pass in 4 s")


def test_a_coordinator_of_another_locality_sees_none_of_it(
    platform: Platform, seeded: Seeded, page: Any, artefacts: Path
) -> None:
    from playwright.sync_api import expect

    ripon = platform.token("coordinator", localities=["Ripon"])
    page.goto(f"{platform.url}/dashboard#token={ripon}")
    expect(page.locator(f'tr[data-visit="{seeded.other_visit_id}"]')).to_have_count(1, timeout=20_000)
    expect(page.locator(f'tr[data-visit="{seeded.visit_id}"]')).to_have_count(0)
    expect(page.locator("#locality option")).to_have_text(["Ripon"])
    # Ben's Ripon visit may be late by now (same type and time), but nothing of Harrogate shows.
    expect(page.locator("li.alert").filter(has_text="Edna Moss")).to_have_count(0)
    expect(page.locator("li.alert").filter(has_text="Asha Patel")).to_have_count(0)
    page.screenshot(path=str(artefacts / "other-locality.png"), full_page=True)


def test_a_care_worker_is_told_the_dashboard_is_not_theirs(
    platform: Platform, seeded: Seeded, page: Any
) -> None:
    from playwright.sync_api import expect

    worker = platform.token("care_worker", worker_id=seeded.worker_id)
    page.goto(f"{platform.url}/dashboard#token={worker}")
    expect(page.locator("#sign-in-error")).to_contain_text("coordinators", timeout=15_000)
    expect(page.locator("#app")).to_be_hidden()
    expect(page.locator("tr[data-visit]")).to_have_count(0)


def test_a_coordinator_moves_a_visit_seeing_the_rules_it_breaks_first(
    platform: Platform, seeded: Seeded, page: Any, artefacts: Path
) -> None:
    from playwright.sync_api import expect

    coordinator = platform.token("coordinator", localities=["Harrogate"])
    page.goto(f"{platform.url}/dashboard#token={coordinator}")
    slot = page.locator(f'.timeline[data-worker="{seeded.worker_id}"] .slot[data-visit="{seeded.visit_id}"]')
    expect(slot).to_have_count(1, timeout=30_000)
    slot.click()
    dialog = page.locator("#move-dialog")
    expect(dialog).to_be_visible()
    planned = dialog.locator("#move-start").input_value()

    # Two hours later is outside the visit's window: a hard rule, so nothing can be confirmed.
    later = (datetime.strptime(planned, "%H:%M") + timedelta(hours=2)).strftime("%H:%M")
    dialog.locator("#move-start").fill(later)
    dialog.get_by_role("button", name="Check and move").click()
    expect(dialog.locator('#move-verdict li[data-rule="time_window"]')).to_contain_text("hard")
    expect(dialog.get_by_role("button", name="Cannot move")).to_be_disabled()
    expect(dialog.locator("#move-reason")).to_be_hidden()
    page.screenshot(path=str(artefacts / "move-refused.png"))

    # The same time with Chris: the rota takes it, or names the soft rules and wants a reason first.
    dialog.locator("#move-start").fill(planned)
    dialog.locator("#move-worker").select_option(seeded.spare_worker_id)
    dialog.get_by_role("button", name="Check and move").click()
    confirm = dialog.get_by_role("button", name="Confirm move")
    expect(dialog.or_(confirm)).to_be_visible()
    if dialog.is_visible() and confirm.is_visible():
        expect(dialog.locator("#move-verdict li.hard")).to_have_count(0)
        page.screenshot(path=str(artefacts / "move-soft-rules.png"))
        dialog.locator("#move-reason").fill("Asha is running late; Chris is next door")
        confirm.click()
    expect(dialog).to_be_hidden(timeout=15_000)
    expect(page.locator("#timelines-message")).to_contain_text("Chris Dunn")
    moved = page.locator(
        f'.timeline[data-worker="{seeded.spare_worker_id}"] .slot[data-visit="{seeded.visit_id}"]'
    )
    expect(moved).to_have_count(1, timeout=15_000)
    # The board hears of it from the visits service, live.
    expect(page.locator(f'tr[data-visit="{seeded.visit_id}"]')).to_contain_text("Chris Dunn", timeout=30_000)
    page.screenshot(path=str(artefacts / "moved.png"), full_page=True)
    with platform.client(platform.token("registered_manager")) as api:
        (visit,) = [
            v
            for v in ok(
                api.get("/v1/rota/visits", params={"date": seeded.today.isoformat(), "locality": "Harrogate"})
            )
            if v["id"] == seeded.visit_id
        ]
    assert visit["workers"] == [seeded.spare_worker_id]
