"""The page itself in headless Chromium: 3,000 visits, keyboard use, labels, contrast and a tablet's width.

The page is served by the real ``dashboard_router`` (uvicorn on a free port); the gateway's API is
answered by the test (Playwright's request routing) with a locality of 150 workers and 3,000 visits,
so that what is measured is the page alone, on a machine shared with other work. The live stream
sends one status change, and the board must show it. The end-to-end behaviour against the real
platform is in ``test_dashboard_browser.py``.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import uvicorn
from fastapi import FastAPI

from rounds.dashboard import dashboard_router
from rounds.embedded.ports import find_free_port

pytestmark = pytest.mark.timeout(300)

LOCALITY = "Harrogate"
STATUSES = ["scheduled"] * 6 + ["in_progress", "completed", "completed", "late"]


@pytest.fixture(scope="module")
def site() -> Iterator[str]:
    """The dashboard's page and assets, served by its router as the gateway serves them."""
    app = FastAPI()
    app.include_router(dashboard_router())
    port = find_free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


def _token(role: str = "coordinator") -> str:
    """An unsigned token: the page only reads its claims (the test's API answers every call)."""

    def part(value: dict[str, Any]) -> str:
        import base64

        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"sub": "coordinator-harrogate", "role": role, "localities": [LOCALITY], "exp": 4102444800}
    return f"{part({'alg': 'ES256'})}.{part(claims)}.signature"


@dataclass
class FakeApi:
    """The gateway's answers for one locality's day, and what the page asked."""

    workers: int
    visits_per_worker: int
    today: str = field(default_factory=lambda: datetime.now(UTC).date().isoformat())
    requests: list[str] = field(default_factory=list)
    acknowledged: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    live_sent: bool = False

    def __post_init__(self) -> None:
        base = datetime.now(UTC).replace(hour=7, minute=0, second=0, microsecond=0)
        self.worker_ids = [str(uuid.UUID(int=i + 1)) for i in range(self.workers)]
        self.visits: dict[str, dict[str, Any]] = {}
        self.schedules: dict[str, list[dict[str, Any]]] = {w: [] for w in self.worker_ids}
        for w_index, worker in enumerate(self.worker_ids):
            for v in range(self.visits_per_worker):
                visit_id = str(uuid.UUID(int=10_000 + w_index * 100 + v))
                start = base + timedelta(minutes=40 * v + (w_index % 4) * 5)
                end = start + timedelta(minutes=30)
                status = STATUSES[(w_index + v) % len(STATUSES)]
                conditions = (
                    [
                        {
                            "condition": "late",
                            "deadline": start.isoformat(),
                            "raised_at": start.isoformat(),
                            "resolved_at": None,
                            "resolution": None,
                        }
                    ]
                    if status == "late"
                    else []
                )
                self.visits[visit_id] = {
                    "visit_id": visit_id,
                    "individual_id": str(uuid.UUID(int=50_000 + w_index * 100 + v)),
                    "locality": LOCALITY,
                    "local_date": self.today,
                    "time_zone": "UTC",
                    "service_type": "personal_care",
                    "planned_start": start.isoformat(),
                    "planned_end": end.isoformat(),
                    "window_start": start.isoformat(),
                    "window_end": end.isoformat(),
                    "tasks": ["wash"],
                    "workers": [worker],
                    "address": f"{v + 1} Station Road {w_index}",
                    "status": "scheduled" if status == "late" else status,
                    "started_at": None,
                    "ended_at": None,
                    "attendances": [],
                    "conditions": conditions,
                }
                self.schedules[worker].append(
                    {
                        "visit_id": visit_id,
                        "individual_id": self.visits[visit_id]["individual_id"],
                        "start": start.isoformat(),
                        "end": end.isoformat(),
                        "local_start": start.strftime("%H:%M"),
                        "duration_minutes": 30,
                        "travel_minutes_before": 10 if v else 0,
                        "address": self.visits[visit_id]["address"],
                        "tasks": ["wash"],
                        "co_worker": None,
                    }
                )
        raised = (datetime.now(UTC) - timedelta(minutes=3)).isoformat()
        self.alerts = [
            {
                "id": str(uuid.UUID(int=90_000 + i)),
                "category": "visit",
                "severity": "critical" if i == 0 else "medium",
                "status": "open",
                "locality": LOCALITY,
                "title": "Lone worker overdue: Asha Patel" if i == 0 else f"Visit late at {i} Station Road",
                "owner_id": None,
                "assignee_id": None,
                "level": 1,
                "ack_deadline": (datetime.now(UTC) + timedelta(minutes=4)).isoformat(),
                "occurrences": 1,
                "revision": 1,
                "worker_id": None,
                "individual_id": None,
                "raised_at": raised,
                "acknowledged_at": None,
                "acknowledged_by": None,
                "resolved_at": None,
                "resolved_by": None,
                "outcome": None,
            }
            for i in range(3)
        ]
        self.changed = next(iter(self.visits))

    def answer(self, route: Any) -> None:
        """Answer one API call as the gateway would."""
        url = urlparse(route.request.url)
        query = parse_qs(url.query)
        path = url.path
        self.requests.append(f"{route.request.method} {path}")

        def send(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> None:
            route.fulfill(
                status=status, content_type="application/json", body=json.dumps(body), headers=headers or {}
            )

        if path == "/v1/people/organisation":
            send(
                {"time_zone": "UTC", "localities": [{"id": str(uuid.uuid4()), "name": LOCALITY}], "teams": []}
            )
        elif path == "/v1/people/workers":
            send({"items": [], "next_cursor": None})
        elif path == "/v1/visits/visits":
            # Cursor pages of the requested size, like the visits service.
            ordered = list(self.visits.values())
            limit = int(query.get("limit", ["100"])[0])
            offset = int(query.get("cursor", ["0"])[0])
            page = ordered[offset : offset + limit]
            more = offset + limit < len(ordered)
            send({"items": page, "next_cursor": str(offset + limit) if more else None})
        elif path.startswith("/v1/visits/visits/"):
            send(self.visits[path.rsplit("/", 1)[1]])
        elif path == "/v1/alerts/alerts":
            send({"items": self.alerts, "next_cursor": None})
        elif path.endswith("/acknowledge"):
            alert_id = path.split("/")[-2]
            self.acknowledged.append(alert_id)
            for alert in self.alerts:
                if alert["id"] == alert_id:
                    alert["acknowledged_at"] = datetime.now(UTC).isoformat()
                    alert["status"] = "acknowledged"
            send(next(a for a in self.alerts if a["id"] == alert_id))
        elif path.endswith(("/assign", "/notes")):
            alert = next(a for a in self.alerts if a["id"] == path.split("/")[-2])
            body = route.request.post_data_json
            if path.endswith("/assign"):
                alert["assignee_id"] = body["assignee_id"]
            else:
                self.notes.append(body["text"])
            send(alert, 201 if path.endswith("/notes") else 200)
        elif path == "/v1/visits/reports/daily":
            send(
                {
                    "by_locality": {
                        LOCALITY: {
                            "visits": len(self.visits),
                            "delivered": 30,
                            "missed": 3,
                            "punctuality": 0.92,
                        }
                    },
                    "by_worker": {},
                }
            )
        elif path == "/v1/people/individuals":
            # Homes spread over about 10 km around Harrogate, a handful of them sharing a street.
            people = [
                {
                    "id": v["individual_id"],
                    "locality": LOCALITY,
                    "address": {
                        "lines": [v["address"]],
                        "postcode": "HG1 1AA",
                        "location": {
                            "lat": 53.96 + (i * 7919 % 97) * 0.0008,
                            "lon": -1.58 + (i * 104729 % 89) * 0.0012,
                        },
                    },
                }
                for i, v in enumerate(self.visits.values())
            ]
            send(people)
        elif path == "/v1/supervision/compliance":
            summary = {"workers": 12, "compliant": 10, "compliant_percent": 83.3, "supervision_compliant": 11}
            summary |= {"training_compliant": 10, "overdue_by_rule": {"one_to_one_supervision": 1}}
            summary |= {"due_soon": 3, "findings": 0}
            send(
                {
                    "on": self.today,
                    "group_by": "team",
                    "groups": [{"group": "Harrogate North", "summary": summary}],
                }
            )
        elif path == "/v1/rota/workers":
            people = [
                {
                    "id": w,
                    "given_name": f"Worker{i:03d}",
                    "family_name": "Carer",
                    "role": "care_worker",
                    "locality": LOCALITY,
                    "skills": [],
                    "contracted_hours_per_week": None,
                    "known_since": None,
                }
                for i, w in enumerate(self.worker_ids)
            ]
            send(people)
        elif path.startswith("/v1/rota/workers/") and path.endswith("/schedule"):
            worker = path.split("/")[-2]
            send(
                {
                    "worker_id": worker,
                    "date": self.today,
                    "time_zone": "UTC",
                    "version": 1,
                    "visits": self.schedules[worker],
                }
            )
        elif path == "/v1/live/events":
            # One status change the first time; then the stream ends and the page reconnects.
            body = ""
            if not self.live_sent:
                self.live_sent = True
                visit = self.visits[self.changed]
                visit["conditions"] = [
                    {
                        "condition": "missed",
                        "deadline": visit["planned_start"],
                        "raised_at": visit["planned_start"],
                        "resolved_at": None,
                        "resolution": None,
                    }
                ]
                data = json.dumps({"visit_id": self.changed})
                body = f"id: v1.a0\nevent: rounds.visit.missed.v1\ndata: {data}\n\n"
            route.fulfill(status=200, content_type="text/event-stream", body=body)
        else:
            route.fulfill(
                status=404,
                content_type="application/problem+json",
                body=json.dumps({"title": "Not Found", "status": 404}),
            )


def _open(
    browser: Any, site: str, fake: FakeApi, width: int = 1280, role: str = "coordinator"
) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport={"width": width, "height": 1000}, locale="en-GB")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.route("**/v1/**", fake.answer)
    page.goto(f"{site}/dashboard#token={_token(role)}")
    return context, page, errors


def test_three_thousand_visits_stay_responsive(browser: Any, site: str, artefacts: Path) -> None:
    from playwright.sync_api import expect

    fake = FakeApi(workers=150, visits_per_worker=20)
    started = time.monotonic()
    context, page, errors = _open(browser, site, fake)
    rows = page.locator("tr[data-visit]")
    # The board draws 500 rows at a time; the counts cover all 3,000.
    expect(rows).to_have_count(500, timeout=60_000)
    expect(page.locator(".counts li").first).to_contain_text("3000")
    first_paint = time.monotonic() - started
    expect(page.locator(".timeline[data-worker]")).to_have_count(150, timeout=60_000)
    expect(page.locator("#map svg g[data-visits]").first).to_be_attached(timeout=60_000)
    loaded = time.monotonic() - started
    # 3,000 homes are grouped: far fewer pins than visits, and every visit counted once.
    pins = page.evaluate(
        "[...document.querySelectorAll('#map g[data-visits]')].map((g) => +g.dataset.visits)"
    )
    assert sum(pins) == 3000
    assert len(pins) < 1000

    # The live stream's status change reached the board without a reload.
    expect(page.locator(f'tr[data-visit="{fake.changed}"]')).to_have_attribute(
        "data-status", "missed", timeout=20_000
    )

    # A filter: from the keystroke to the next frame with the rows filtered.
    filter_ms = page.evaluate(
        """() => new Promise((resolve) => {
            const select = document.getElementById("filter-status");
            const start = performance.now();
            select.value = "late";
            select.dispatchEvent(new Event("input"));
            requestAnimationFrame(() => setTimeout(() => resolve(performance.now() - start)));
        })"""
    )
    late_rows = page.locator("tr[data-visit]").count()
    assert 0 < late_rows < 500
    page.select_option("#filter-status", "")
    expect(rows).to_have_count(500)
    page.get_by_role("button", name="Show 500 more").click()
    expect(rows).to_have_count(1000)
    board = page.evaluate("performance.getEntriesByName('render-board').map((m) => m.duration)")
    timelines = page.evaluate("performance.getEntriesByName('render-timelines').map((m) => m.duration)")
    map_ms = page.evaluate("performance.getEntriesByName('render-map').map((m) => m.duration)")
    page.screenshot(path=str(artefacts / "board-3000.png"))
    context.close()
    assert not errors, errors
    worst_board = max(board)
    figures = (
        f"3,000 visits: board shown {first_paint:.1f} s after opening, "
        f"everything (150 timelines) {loaded:.1f} s; board render median "
        f"{sorted(board)[len(board) // 2]:.0f} ms, worst {worst_board:.0f} ms over {len(board)} renders; "
        f"timelines render worst {max(timelines):.0f} ms; map (grouped) worst {max(map_ms):.0f} ms; "
        f"status filter to next frame {filter_ms:.0f} ms; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    print(figures)
    (artefacts / "scale.txt").write_text(figures + "\n")
    # Responsive: a re-render (every live change) and a filter stay under a second; on a machine busier
    # than its cores (a shared CI runner) the budget grows with the load, and the figures say so.
    budget = 1000 * max(1.0, os.getloadavg()[0] / (os.cpu_count() or 1))
    assert worst_board < budget, figures
    assert filter_ms < budget, figures


def test_the_main_actions_work_from_the_keyboard(browser: Any, site: str, artefacts: Path) -> None:
    from playwright.sync_api import expect

    fake = FakeApi(workers=3, visits_per_worker=4)
    context, page, errors = _open(browser, site, fake)
    expect(page.locator("tr[data-visit]")).to_have_count(12, timeout=20_000)
    expect(page.locator(".timeline[data-worker]")).to_have_count(3, timeout=20_000)

    def tab_to(selector: str, limit: int = 80) -> None:
        for _ in range(limit):
            page.keyboard.press("Tab")
            if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
                return
        pytest.fail(f"Tab never reached {selector}")

    # The first Tab offers the skip link, and it is visible when focused.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip"
    assert page.locator(".skip").bounding_box()["x"] >= 0

    # Acknowledge the critical alert with Tab and Enter; the banner goes.
    critical = fake.alerts[0]["id"]
    expect(page.locator("#critical")).to_be_visible()
    tab_to(f'li[data-alert="{critical}"] button[data-action=acknowledge]')
    page.keyboard.press("Enter")
    expect(page.locator("#critical")).to_be_hidden(timeout=10_000)
    assert fake.acknowledged == [critical]

    # Take the alert on, and add a note to its record, with the keyboard only.
    tab_to(f'li[data-alert="{critical}"] button[data-action=assign]')
    page.keyboard.press("Enter")
    expect(page.locator(f'li[data-alert="{critical}"]')).to_contain_text("assigned to you")
    tab_to(f'li[data-alert="{critical}"] button[data-action=note]')
    page.keyboard.press("Enter")
    expect(page.locator("#resolve-dialog")).to_be_visible()
    page.keyboard.type("Rang Asha: she is safe, her phone had died")
    tab_to("#resolve-submit")
    page.keyboard.press("Enter")
    expect(page.locator("#resolve-dialog")).to_be_hidden()
    assert fake.notes == ["Rang Asha: she is safe, her phone had died"]

    # Filter by status with the keyboard.
    page.focus("#filter-status")
    page.keyboard.press("ArrowDown")  # the first status after "all"
    expect(page.locator("tr[data-visit]")).not_to_have_count(12)

    # Open a visit's move dialog from its timeline with the keyboard; focus goes in; Escape closes it.
    tab_to(".slot")
    page.keyboard.press("Enter")
    expect(page.locator("#move-dialog")).to_be_visible()
    assert page.evaluate("document.getElementById('move-dialog').contains(document.activeElement)")
    page.keyboard.press("Escape")
    expect(page.locator("#move-dialog")).to_be_hidden()
    context.close()
    assert not errors, errors


LABEL_AND_CONTRAST = """() => {
  const visible = (el) => el.offsetParent !== null || el.tagName === "BODY";
  const unlabelled = [...document.querySelectorAll("input, select, textarea, button")]
    .filter(visible)
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute("aria-label"))
    .filter((el) => !el.textContent.trim())
    .map((el) => el.outerHTML.slice(0, 80));
  const rgb = (text) => text.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const c = [r, g, b].map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
  };
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const colour = getComputedStyle(node).backgroundColor;
      const parts = rgb(colour);
      if (parts.length === 3 || parts[3] > 0.5) return parts.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const low = [];
  for (const el of document.querySelectorAll("body *")) {
    if (!visible(el) || el.closest("svg")) continue;
    const text = [...el.childNodes].filter((n) => n.nodeType === 3).map((n) => n.textContent).join("").trim();
    if (!text) continue;
    const style = getComputedStyle(el);
    const a = lum(rgb(style.color).slice(0, 3));
    const b = lum(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) low.push(`${text.slice(0, 30)}: ${ratio.toFixed(2)}`);
  }
  return { unlabelled, low };
}"""


@pytest.mark.parametrize(("width", "role"), [(1280, "registered_manager"), (768, "coordinator")])
def test_labels_contrast_and_a_tablet_width(
    browser: Any, site: str, artefacts: Path, width: int, role: str
) -> None:
    from playwright.sync_api import expect

    fake = FakeApi(workers=6, visits_per_worker=6)
    context, page, errors = _open(browser, site, fake, width=width, role=role)
    expect(page.locator("tr[data-visit]")).to_have_count(36, timeout=20_000)
    expect(page.locator(".timeline[data-worker]")).to_have_count(6, timeout=20_000)
    expect(page.locator("#week svg")).to_have_count(1, timeout=20_000)
    if role == "registered_manager":
        expect(page.locator('#compliance tr[data-team="Harrogate North"]')).to_contain_text("10 (83%)")
    else:
        expect(page.locator("#compliance-message")).to_contain_text("registered managers and supervisors")
    found = page.evaluate(LABEL_AND_CONTRAST)
    assert found["unlabelled"] == [], found["unlabelled"]
    assert found["low"] == [], found["low"]
    # Nothing runs off the side at a tablet's width (WCAG 1.4.10 reflow, at the widths we support).
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artefacts / f"dashboard-{width}px.png"), full_page=True)
    page.screenshot(path=str(artefacts / f"dashboard-{width}px-top.png"))
    if role == "registered_manager":
        page.locator("#map-card").screenshot(path=str(artefacts / "map.png"))
        page.locator("#timelines-card").screenshot(path=str(artefacts / "timelines.png"))
    context.close()
    assert not errors, errors
