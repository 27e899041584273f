// The operations dashboard: today's visits, the alerts queue and punctuality, live from the gateway.
// It uses only the gateway's public API with the user's bearer token, so every rule about who sees
// what is the gateway's and the services'. Text from the API is only ever set as textContent.

const TOKEN_KEY = "rounds.token";
const LOCALITY_KEY = "rounds.locality";
const SEVERITY_RANK = { critical: 0, high: 1, warning: 2, medium: 2, low: 3, info: 4 };
// A visit's open condition outranks its plain status on the board (000 P37: missed first).
const CONDITION_RANK = ["missed", "overdue", "late", "short", "overrun"];
const STATUSES = ["scheduled", "in_progress", "completed", "late", "missed", "short", "overrun", "overdue", "cancelled"];
const LABELS = { in_progress: "in progress", overdue: "lone worker overdue" };

const state = {
  token: null,
  claims: null,
  locality: "",
  timeZone: "Europe/London",
  visits: new Map(),
  workers: new Map(),
  alerts: [],
  liveAbort: null,
  lastEventId: null,
  sound: false,
  resolving: null,
  rotaWorkers: [],
  schedules: new Map(),
  moving: null,
  rowLimit: 500,
  homes: new Map(),
};
// The board shows this many rows at a time (counts and filters cover every visit): thousands of rows
// in the page would make every live change slow to draw.
const ROW_PAGE = 500;

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return node;
}

// ---- the API -------------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function apiResponse(path, options = {}) {
  const headers = { Accept: "application/json", Authorization: `Bearer ${state.token}`, ...(options.headers || {}) };
  if (options.body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, {
    method: options.method || "GET",
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  if (response.status === 401) {
    signOut("Your sign-in has expired or was not accepted. Sign in again.");
    throw new ApiError(401, { detail: "unauthenticated" });
  }
  const text = await response.text();
  const body = text ? JSON.parse(text) : null;
  if (!response.ok) throw new ApiError(response.status, body || {});
  return { body, headers: response.headers };
}

async function api(path, options = {}) {
  return (await apiResponse(path, options)).body;
}

// Every page of a list: services answer either {items, next_cursor} or a JSON array with the next
// page's cursor in the X-Next-Cursor header (the rota).
async function allPages(path) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < 50; page += 1) {
    const sep = path.includes("?") ? "&" : "?";
    const { body, headers } = await apiResponse(cursor ? `${path}${sep}cursor=${encodeURIComponent(cursor)}` : path);
    items.push(...(Array.isArray(body) ? body : body.items));
    cursor = Array.isArray(body) ? headers.get("X-Next-Cursor") : body.next_cursor;
    if (!cursor) break;
  }
  return items;
}

// ---- sign-in -------------------------------------------------------------------------------------

function decodeClaims(token) {
  const part = token.split(".")[1];
  if (!part) throw new Error("This is not a JWT bearer token (it has no claims part).");
  const json = atob(part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "="));
  const claims = JSON.parse(json);
  if (claims.exp && claims.exp * 1000 < Date.now()) throw new Error("This token has expired: make a new one.");
  return claims;
}

function takeTokenFromFragment() {
  const match = location.hash.match(/token=([^&]+)/);
  if (!match) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, "", location.pathname + location.search);  // keep it out of history
}

function signOut(message = "") {
  sessionStorage.removeItem(TOKEN_KEY);
  if (state.liveAbort) state.liveAbort.abort();
  state.token = null;
  $("app").hidden = true;
  $("who").hidden = true;
  $("sign-in").hidden = false;
  $("sign-in-error").textContent = message;
}

// Roles the dashboard is for; everyone else is told so rather than shown empty panels.
const STAFF_ROLES = ["coordinator", "registered_manager"];

async function signIn(token) {
  const claims = decodeClaims(token.trim());
  if (!STAFF_ROLES.includes(claims.role)) {
    throw new Error("The operations dashboard is for coordinators and registered managers; this token is for a "
      + `${String(claims.role || "unknown role").replace(/_/g, " ")}. Care workers use the app.`);
  }
  state.claims = claims;
  state.token = token.trim();
  sessionStorage.setItem(TOKEN_KEY, state.token);
  $("sign-in").hidden = true;
  $("who").hidden = false;
  $("app").hidden = false;
  const role = (state.claims.role || "unknown role").replace(/_/g, " ");
  $("who-name").textContent = `${state.claims.name || state.claims.sub} (${role})`;
  await chooseLocalities();
}

async function chooseLocalities() {
  // A coordinator's localities are in their token; a manager sees every locality of the organisation.
  let names = state.claims.localities || [];
  try {
    const organisation = await api("/v1/people/organisation");
    state.timeZone = organisation.time_zone || state.timeZone;
    if (!names.length) names = organisation.localities.map((l) => l.name);
  } catch (error) {
    // The organisation is a convenience: a coordinator still has the localities of their token.
  }
  const select = $("locality");
  select.replaceChildren(...names.map((name) => el("option", { value: name }, name)));
  if (!names.length) {
    $("board-message").textContent = "No locality is open to you: ask for a token that names one.";
    return;
  }
  const remembered = localStorage.getItem(LOCALITY_KEY);
  select.value = names.includes(remembered) ? remembered : names[0];
  await openLocality(select.value);
}

// ---- loading -------------------------------------------------------------------------------------

function localDate(timeZone, when = new Date()) {
  return formatter("date", timeZone, { year: "numeric", month: "2-digit", day: "2-digit" }).format(when);
}

// Formatters are costly to make (thousands of rows): one per zone and kind, kept.
const formatters = new Map();
function formatter(kind, timeZone, options) {
  const key = `${kind}|${timeZone}`;
  if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(kind === "date" ? "en-CA" : "en-GB", { timeZone, ...options }));
  return formatters.get(key);
}

function localTime(iso) {
  return formatter("time", state.timeZone, { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
}

async function openLocality(locality) {
  state.locality = locality;
  localStorage.setItem(LOCALITY_KEY, locality);
  state.visits.clear();
  rowCache.clear();
  state.lastEventId = null;
  state.schedules.clear();
  await Promise.all([loadWorkers(), loadVisits(), loadAlerts(), loadIndicators()]);
  startLive();
  await Promise.all([loadTimelines(), loadWeek(), loadCompliance(), loadHomes()]);
}

async function loadWorkers() {
  try {
    const workers = await allPages(`/v1/people/workers?locality=${encodeURIComponent(state.locality)}&limit=100`);
    for (const w of workers) state.workers.set(w.id, `${w.given_name} ${w.family_name}`);
  } catch (error) {
    // Names are a nicety: without them the board shows short ids.
  }
}

async function loadVisits(quiet = false) {
  const message = $("board-message");
  if (!quiet) message.textContent = "Loading today's visits…";
  try {
    const date = localDate(state.timeZone);
    const visits = await allPages(`/v1/visits/visits?locality=${encodeURIComponent(state.locality)}&date=${date}&limit=200`);
    state.visits = new Map(visits.map((visit) => [visit.visit_id, visit]));
    if (visits.length) state.timeZone = visits[0].time_zone;
    $("board-date").textContent = date;
    message.textContent = visits.length ? "" : "No visits today in this locality.";
  } catch (error) {
    message.textContent = `Could not load the visits: ${error.message}`;
  }
  renderBoard();
  renderMap();
}

async function loadVisit(visitId) {
  try {
    const visit = await api(`/v1/visits/visits/${encodeURIComponent(visitId)}`);
    if (visit.locality === state.locality && visit.local_date === localDate(state.timeZone)) {
      state.visits.set(visit.visit_id, visit);
      renderBoard();
      renderTimelines();
      renderMap();
    }
  } catch (error) {
    // A visit this user may not see, or one already gone: leave the board as it is.
  }
}

async function loadAlerts() {
  try {
    const alerts = await allPages(`/v1/alerts/alerts?locality=${encodeURIComponent(state.locality)}&limit=100`);
    state.alerts = alerts.filter((a) => a.status !== "resolved");
    $("alerts-message").textContent = state.alerts.length ? "" : "No open alerts.";
  } catch (error) {
    state.alerts = [];
    $("alerts-message").textContent = `Could not load the alerts: ${error.message}`;
  }
  renderAlerts();
}

async function loadIndicators() {
  const box = $("indicators");
  try {
    const date = localDate(state.timeZone);
    const report = await api(`/v1/visits/reports/daily?locality=${encodeURIComponent(state.locality)}&date=${date}`);
    renderIndicators(report);
  } catch (error) {
    box.replaceChildren(el("p", { class: "muted" }, `Indicators unavailable: ${error.message}`));
  }
}

// ---- the live stream (server-sent events over fetch, so the token goes in a header) ---------------

function startLive() {
  if (state.liveAbort) state.liveAbort.abort();
  const abort = new AbortController();
  state.liveAbort = abort;
  let wait = 1000;
  const run = async () => {
    while (!abort.signal.aborted) {
      try {
        const headers = { Authorization: `Bearer ${state.token}`, Accept: "text/event-stream" };
        if (state.lastEventId) headers["Last-Event-ID"] = state.lastEventId;
        const response = await fetch(`/v1/live/events?locality=${encodeURIComponent(state.locality)}`, { headers, signal: abort.signal });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        setLive("live", "ok");
        wait = 1000;
        await readEvents(response.body, onLiveEvent);
      } catch (error) {
        if (abort.signal.aborted) return;
        setLive("reconnecting…", "warn");
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 15000);
    }
  };
  run();
}

function setLive(text, kind) {
  const node = $("live-state");
  node.textContent = text;
  node.dataset.kind = kind;
}

async function readEvents(body, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { id: null, type: "message", data: "" };
      for (const line of block.split("\n")) {
        if (line.startsWith(":")) continue;
        const [field, ...rest] = line.split(":");
        const text = rest.join(":").replace(/^ /, "");
        if (field === "id") event.id = text;
        else if (field === "event") event.type = text;
        else if (field === "data") event.data += event.data ? `\n${text}` : text;
      }
      if (event.id) state.lastEventId = event.id;
      if (event.data) onEvent(event);
    }
  }
}

let alertsReload = null;
let indicatorsReload = null;

function onLiveEvent(event) {
  let data = {};
  try {
    data = JSON.parse(event.data);
  } catch (error) {
    return;
  }
  if (event.type.startsWith("alert")) {
    clearTimeout(alertsReload);
    alertsReload = setTimeout(loadAlerts, 200);
    return;
  }
  if (data.visit_id) loadVisit(data.visit_id);
  clearTimeout(indicatorsReload);
  indicatorsReload = setTimeout(loadIndicators, 2000);
}

// ---- rendering -----------------------------------------------------------------------------------

function boardStatus(visit) {
  const open = (visit.conditions || []).filter((c) => !c.resolved_at).map((c) => c.condition);
  return CONDITION_RANK.find((c) => open.includes(c)) || visit.status;
}

function workerName(id) {
  return state.workers.get(id) || `worker ${id.slice(0, 8)}`;
}

// Rendering times are recorded as performance measures, for the browser tests and anyone profiling.
function measured(name, render) {
  const start = performance.now();
  render();
  performance.measure(name, { start, end: performance.now() });
}

// Many live changes in a burst are drawn once, in the next frame.
let boardFrame = null;
function renderBoard() {
  if (boardFrame !== null) return;
  boardFrame = requestAnimationFrame(() => {
    boardFrame = null;
    measured("render-board", drawBoard);
  });
}

function drawBoard() {
  const visits = [...state.visits.values()].sort((a, b) => (a.planned_start < b.planned_start ? -1 : a.planned_start > b.planned_start ? 1 : 0));
  renderCounts(visits);
  renderFilters(visits);
  const status = $("filter-status").value;
  const worker = $("filter-worker").value;
  const text = $("filter-text").value.trim().toLowerCase();
  const matching = visits
    .filter((v) => !status || boardStatus(v) === status)
    .filter((v) => !worker || v.workers.includes(worker))
    .filter((v) => !text || `${v.address} ${v.individual_id}`.toLowerCase().includes(text));
  const rows = matching.slice(0, state.rowLimit).map(boardRow);
  const more = $("board-more");
  more.hidden = matching.length <= state.rowLimit;
  more.textContent = `Show ${Math.min(ROW_PAGE, matching.length - state.rowLimit)} more of ${matching.length - state.rowLimit} not shown`;
  const body = $("visits");
  // Only a changed list is put back: a live change then costs one new row, not three thousand.
  const same = rows.length === body.children.length && rows.every((row, i) => body.children[i] === row);
  if (!same) body.replaceChildren(...rows);
}

// Each visit's row is kept and remade only when what it shows changed.
const rowCache = new Map();
function boardRow(v) {
  const s = boardStatus(v);
  const names = v.workers.map(workerName).join(", ");
  const signature = `${s}|${names}|${v.planned_start}|${v.planned_end}|${v.address}|${v.tasks.length}|${state.timeZone}`;
  const cached = rowCache.get(v.visit_id);
  if (cached && cached.signature === signature) return cached.row;
  const row = el(
    "tr",
    { "data-visit": v.visit_id, "data-status": s },
    el("td", {}, `${localTime(v.planned_start)}–${localTime(v.planned_end)}`),
    el("td", {}, v.address || `individual ${v.individual_id.slice(0, 8)}`),
    el("td", {}, v.workers.length ? names : el("span", { class: "warn-text" }, "not allocated")),
    el("td", {}, String(v.tasks.length)),
    el("td", {}, el("span", { class: `badge status-${s}` }, LABELS[s] || s)),
  );
  rowCache.set(v.visit_id, { signature, row });
  return row;
}

function renderCounts(visits) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const v of visits) counts[boardStatus(v)] += 1;
  const shown = ["scheduled", "in_progress", "completed", "late", "missed", "short"];
  $("counts").replaceChildren(
    el("li", { class: "count" }, el("strong", {}, String(visits.length)), el("span", {}, "visits")),
    ...shown.map((s) =>
      el(
        "li",
        { class: `count count-${s}` },
        el("button", { type: "button", "data-status": s, onclick: () => { $("filter-status").value = s; renderBoard(); } },
          el("strong", {}, String(counts[s])), el("span", {}, LABELS[s] || s)),
      ),
    ),
  );
}

function renderFilters(visits) {
  const statusSelect = $("filter-status");
  if (statusSelect.options.length === 1) {
    for (const s of STATUSES) statusSelect.append(el("option", { value: s }, LABELS[s] || s));
  }
  const workerSelect = $("filter-worker");
  const chosen = workerSelect.value;
  const ids = [...new Set(visits.flatMap((v) => v.workers))].sort((a, b) => workerName(a).localeCompare(workerName(b)));
  workerSelect.replaceChildren(el("option", { value: "" }, "all"), ...ids.map((id) => el("option", { value: id }, workerName(id))));
  workerSelect.value = ids.includes(chosen) ? chosen : "";
}

function age(iso) {
  const minutes = Math.max(0, Math.round((Date.now() - new Date(iso).getTime()) / 60000));
  return minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

function deadlineText(iso, level) {
  const seconds = Math.round((new Date(iso).getTime() - Date.now()) / 1000);
  if (seconds <= 0) return `escalating (level ${level})`;
  return `escalates in ${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function deadline(alert) {
  if (!alert.ack_deadline || alert.acknowledged_at) return "";
  return el("span", { class: "timer", "data-deadline": alert.ack_deadline, "data-level": alert.level },
    deadlineText(alert.ack_deadline, alert.level));
}

// Ages and escalation timers tick in place, so focus and screen readers are not disturbed.
function tick() {
  for (const node of document.querySelectorAll("[data-since]")) node.textContent = age(node.dataset.since);
  for (const node of document.querySelectorAll("[data-deadline]")) {
    node.textContent = deadlineText(node.dataset.deadline, node.dataset.level);
  }
}

function renderAlerts() {
  const alerts = [...state.alerts].sort(
    (a, b) => (SEVERITY_RANK[a.severity] ?? 9) - (SEVERITY_RANK[b.severity] ?? 9) || a.raised_at.localeCompare(b.raised_at),
  );
  $("alerts-count").textContent = alerts.length ? `(${alerts.length} open)` : "";
  $("alerts").replaceChildren(
    ...alerts.map((a) =>
      el(
        "li",
        { class: `alert severity-${a.severity}`, "data-alert": a.id },
        el("div", { class: "alert-head" },
          el("span", { class: `badge severity-${a.severity}` }, a.severity),
          el("strong", {}, a.title)),
        el("div", { class: "alert-meta" },
          `${a.category} · raised `, el("span", { "data-since": a.raised_at }, age(a.raised_at)),
          ` ago · ${a.status}`,
          a.occurrences > 1 ? ` · ${a.occurrences} occurrences` : "",
          " ", deadline(a)),
        a.assignee_id ? el("div", { class: "alert-meta" }, `assigned to ${a.assignee_id === state.claims.sub ? "you" : a.assignee_id}`) : "",
        el("div", { class: "alert-actions" },
          a.acknowledged_at ? ""
            : el("button", { type: "button", "data-action": "acknowledge", onclick: () => act(a, "acknowledge") }, "Acknowledge"),
          a.assignee_id === state.claims.sub ? ""
            : el("button", { type: "button", "data-action": "assign", onclick: () => act(a, "assign", { assignee_id: state.claims.sub }) }, "Take it"),
          el("button", { type: "button", "data-action": "note", onclick: () => openAlertDialog(a, "note") }, "Note"),
          el("button", { type: "button", "data-action": "resolve", onclick: () => openAlertDialog(a, "resolve") }, "Resolve")),
      ),
    ),
  );
  renderCritical(alerts);
}

let lastCriticalIds = new Set();

function renderCritical(alerts) {
  const critical = alerts.filter((a) => a.severity === "critical" && !a.acknowledged_at);
  const banner = $("critical");
  banner.hidden = critical.length === 0;
  banner.textContent = critical.length ? `Critical: ${critical.map((a) => a.title).join("; ")} — acknowledge now.` : "";
  const fresh = critical.some((a) => !lastCriticalIds.has(a.id));
  lastCriticalIds = new Set(critical.map((a) => a.id));
  if (fresh && state.sound) beep();
}

function beep() {
  const audio = new AudioContext();
  const tone = audio.createOscillator();
  tone.frequency.value = 880;
  tone.connect(audio.destination);
  tone.start();
  tone.stop(audio.currentTime + 0.4);
}

function renderIndicators(report) {
  const tally = report.by_locality[state.locality];
  const box = $("indicators");
  if (!tally) {
    box.replaceChildren(el("p", { class: "muted" }, "Nothing delivered yet today."));
    return;
  }
  const percent = (value) => (value === null || value === undefined ? "–" : `${Math.round(value * 100)}%`);
  const summary = el("p", {}, `${tally.delivered} of ${tally.visits} visits delivered, ${tally.missed} missed, punctuality ${percent(tally.punctuality)}.`);
  const workers = Object.entries(report.by_worker).filter(([, t]) => t.delivered > 0);
  const width = 300;
  const bar = 18;
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", `0 0 ${width} ${Math.max(1, workers.length) * (bar + 6)}`);
  svg.setAttribute("role", "img");
  svg.setAttribute("aria-label", "Punctuality per worker today");
  workers.forEach(([id, t], i) => {
    const y = i * (bar + 6);
    const value = t.punctuality ?? 0;
    const rect = document.createElementNS("http://www.w3.org/2000/svg", "rect");
    rect.setAttribute("x", "120");
    rect.setAttribute("y", String(y));
    rect.setAttribute("width", String(Math.max(1, value * (width - 160))));
    rect.setAttribute("height", String(bar));
    rect.setAttribute("class", value >= 0.9 ? "bar good" : value >= 0.7 ? "bar fair" : "bar poor");
    const label = document.createElementNS("http://www.w3.org/2000/svg", "text");
    label.setAttribute("x", "0");
    label.setAttribute("y", String(y + bar - 4));
    label.textContent = workerName(id);
    const figure = document.createElementNS("http://www.w3.org/2000/svg", "text");
    figure.setAttribute("x", String(124 + value * (width - 160)));
    figure.setAttribute("y", String(y + bar - 4));
    figure.textContent = percent(t.punctuality);
    svg.append(rect, label, figure);
  });
  box.replaceChildren(summary, workers.length ? svg : el("p", { class: "muted" }, "No check-ins yet."));
}

// ---- worker timelines (the rota's schedule of each worker's day) ---------------------------------

async function inBatches(items, size, work) {
  const results = [];
  for (let i = 0; i < items.length; i += size) results.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return results;
}

async function loadTimelines() {
  const message = $("timelines-message");
  message.textContent = "Loading the rota…";
  try {
    const date = localDate(state.timeZone);
    state.rotaWorkers = await allPages(`/v1/rota/workers?locality=${encodeURIComponent(state.locality)}&limit=200`);
    for (const w of state.rotaWorkers) state.workers.set(w.id, `${w.given_name} ${w.family_name}`);
    const schedules = await inBatches(state.rotaWorkers, 10, async (w) => {
      try {
        return await api(`/v1/rota/workers/${encodeURIComponent(w.id)}/schedule?date=${date}`);
      } catch (error) {
        return { worker_id: w.id, visits: [], error: error.message };
      }
    });
    state.schedules = new Map(schedules.map((s) => [s.worker_id, s]));
    message.textContent = state.rotaWorkers.length ? "" : "The rota has no workers in this locality.";
  } catch (error) {
    message.textContent = `Could not load the rota: ${error.message}`;
  }
  renderTimelines();
  renderBoard();
}

function minutesOfDay(iso) {
  const [hour, minute] = localTime(iso).split(":").map(Number);
  return hour * 60 + minute;
}

let timelinesFrame = null;
function renderTimelines() {
  if (timelinesFrame !== null) return;
  timelinesFrame = requestAnimationFrame(() => {
    timelinesFrame = null;
    measured("render-timelines", drawTimelines);
  });
}

function drawTimelines() {
  const box = $("timelines");
  const schedules = [...state.schedules.values()].filter((s) => s.visits.length);
  if (!schedules.length) {
    box.replaceChildren(el("p", { class: "muted" }, state.rotaWorkers.length ? "Nobody has visits today." : ""));
    return;
  }
  // The axis spans the day's work, in whole hours, so that every row shares one scale.
  const starts = schedules.flatMap((s) => s.visits.map((v) => minutesOfDay(v.start) - v.travel_minutes_before));
  const ends = schedules.flatMap((s) => s.visits.map((v) => minutesOfDay(v.end)));
  const from = Math.max(0, Math.floor(Math.min(...starts) / 60) * 60);
  const to = Math.min(24 * 60, Math.max(from + 60, Math.ceil(Math.max(...ends) / 60) * 60));
  const at = (minute) => `${(((minute - from) / (to - from)) * 100).toFixed(2)}%`;
  const span = (minutes) => `${((minutes / (to - from)) * 100).toFixed(2)}%`;
  const axis = el("div", { class: "axis", "aria-hidden": "true" });
  for (let hour = from; hour <= to; hour += to - from > 8 * 60 ? 120 : 60) {
    axis.append(el("span", { style: `left:${at(hour)}` }, `${String(Math.floor(hour / 60)).padStart(2, "0")}:00`));
  }
  const rows = schedules
    .sort((a, b) => workerName(a.worker_id).localeCompare(workerName(b.worker_id)))
    .map((schedule) => {
      const track = el("div", { class: "track" });
      let late = 0;
      for (const v of schedule.visits) {
        const start = minutesOfDay(v.start);
        const board = state.visits.get(v.visit_id);
        const status = board ? boardStatus(board) : "scheduled";
        if (["late", "missed"].includes(status)) late += 1;
        if (v.travel_minutes_before > 0) {
          track.append(el("span", { class: "travel", title: `${v.travel_minutes_before} min travel`,
            style: `left:${at(start - v.travel_minutes_before)};width:${span(v.travel_minutes_before)}` }));
        }
        const label = `${v.local_start} ${v.address || "visit"}, ${v.duration_minutes} min, ${LABELS[status] || status}`;
        track.append(el("button", {
          type: "button", class: `slot status-${status}`, "data-visit": v.visit_id, "data-status": status,
          style: `left:${at(start)};width:${span(v.duration_minutes)}`, "aria-label": `Move: ${label}`, title: label,
          onclick: () => openMove(v, schedule.worker_id),
        }, `${v.local_start}${status === "scheduled" ? "" : ` ${LABELS[status] || status}`}`));
      }
      return el("div", { class: "timeline", "data-worker": schedule.worker_id },
        el("div", { class: "timeline-name" }, workerName(schedule.worker_id),
          late ? el("span", { class: "warn-text" }, `running late (${late})`) : ""),
        track);
    });
  box.replaceChildren(el("div", { class: "timeline" }, el("span", {}), axis), ...rows);
}

// ---- moving a visit (the rota validates; soft rules need a reason, hard ones refuse) -------------

// The UTC instant of a local wall-clock time in the provider's zone (two passes settle DST edges).
function zonedInstant(day, hhmm, timeZone) {
  const [y, m, d] = day.split("-").map(Number);
  const [hh, mm] = hhmm.split(":").map(Number);
  const wall = Date.UTC(y, m - 1, d, hh, mm);
  let guess = wall;
  for (let i = 0; i < 2; i += 1) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", { timeZone, hourCycle: "h23", year: "numeric",
      month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
    const shown = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
    guess += wall - shown;
  }
  return new Date(guess).toISOString();
}

function openMove(visit, workerId) {
  state.moving = { visit, workerId };
  $("move-visit").textContent = `${visit.local_start}, ${visit.address || "visit"} (${visit.duration_minutes} min), now with ${workerName(workerId)}`;
  const select = $("move-worker");
  const ids = state.rotaWorkers.map((w) => w.id);
  select.replaceChildren(...ids.map((id) => el("option", { value: id }, workerName(id))));
  select.value = workerId;
  $("move-start").value = visit.local_start;
  $("move-verdict").replaceChildren();
  $("move-reason").value = "";
  $("move-reason-field").hidden = true;
  $("move-submit").textContent = "Check and move";
  $("move-submit").disabled = false;
  $("move-dialog").showModal();
}

function resetMoveVerdict() {
  $("move-verdict").replaceChildren();
  $("move-reason-field").hidden = true;
  $("move-submit").textContent = "Check and move";
  $("move-submit").disabled = false;
}

async function submitMove() {
  const { visit, workerId } = state.moving;
  const chosen = $("move-worker").value;
  const workers = visit.co_worker ? [chosen, visit.co_worker].filter((id, i, all) => all.indexOf(id) === i) : [chosen];
  const body = { workers, start: zonedInstant(localDate(state.timeZone, new Date(visit.start)), $("move-start").value, state.timeZone) };
  const reason = $("move-reason").value.trim();
  if (!$("move-reason-field").hidden) {
    if (!reason) {
      $("move-reason").focus();
      return;
    }
    body.override_reason = reason;
  }
  const verdict = $("move-verdict");
  $("move-submit").disabled = true;
  try {
    const result = await api(`/v1/rota/visits/${encodeURIComponent(visit.visit_id)}/allocation`, { method: "PUT", body });
    const bent = (result.violations || []).map((v) => v.rule).join(", ");
    $("move-dialog").close();
    await loadTimelines();
    followMove(visit.visit_id, workers);
    $("timelines-message").textContent = `Moved the ${visit.local_start} visit to ${workerName(chosen)} at ${$("move-start").value}`
      + `${bent ? ` (accepted: ${bent})` : ""}${workerId === chosen ? "" : `, from ${workerName(workerId)}`}.`;
  } catch (error) {
    const violations = (error.problem && error.problem.violations) || [];
    $("move-submit").disabled = false;
    if (!violations.length) {
      verdict.replaceChildren(el("p", { class: "error" }, `The move was not made: ${error.message}`));
      return;
    }
    const hard = violations.some((v) => v.hard);
    verdict.replaceChildren(
      el("p", {}, hard ? "This move breaks rules that cannot be overridden; nothing was changed:"
        : "Nothing was changed yet. This move bends these rules:"),
      el("ul", { class: "verdict-list" }, ...violations.map((v) =>
        el("li", { class: v.hard ? "hard" : "soft", "data-rule": v.rule }, `${v.rule} (${v.hard ? "hard" : "soft"}): ${v.message}`))),
    );
    $("move-reason-field").hidden = hard;
    $("move-submit").disabled = hard;
    $("move-submit").textContent = hard ? "Cannot move" : "Confirm move";
    if (!hard) $("move-reason").focus();
  }
}

// The visits service learns of a move from the rota's event a moment later, and its live stream
// carries status changes only: read the visit until it shows the new workers.
async function followMove(visitId, workers) {
  for (let attempt = 0; attempt < 20; attempt += 1) {
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await loadVisit(visitId);
    const visit = state.visits.get(visitId);
    if (visit && workers.every((w) => visit.workers.includes(w)) && visit.workers.length === workers.length) return;
  }
}

// ---- the map: homes on plain coordinates, grouped when close (works with no internet) -----------

async function loadHomes() {
  const message = $("map-message");
  try {
    const individuals = await allPages(`/v1/people/individuals?locality=${encodeURIComponent(state.locality)}&limit=500`);
    state.homes = new Map(individuals
      .filter((i) => i.address && i.address.location)
      .map((i) => [i.id, { lat: i.address.location.lat, lon: i.address.location.lon }]));
    message.textContent = "";
  } catch (error) {
    state.homes = new Map();
    message.textContent = `The homes' locations are unavailable: ${error.message}`;
  }
  renderMap();
}

// The hull of the homes (monotone chain), drawn as the locality's outline.
function hull(points) {
  const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (sorted.length < 3) return sorted;
  const cross = (o, a, b) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const half = (list) => {
    const out = [];
    for (const p of list) {
      while (out.length >= 2 && cross(out[out.length - 2], out[out.length - 1], p) <= 0) out.pop();
      out.push(p);
    }
    out.pop();
    return out;
  };
  return [...half(sorted), ...half([...sorted].reverse())];
}

let mapFrame = null;
function renderMap() {
  if (mapFrame !== null) return;
  mapFrame = requestAnimationFrame(() => {
    mapFrame = null;
    measured("render-map", drawMap);
  });
}

function drawMap() {
  const box = $("map");
  const placed = [...state.visits.values()].filter((v) => state.homes.has(v.individual_id));
  if (!placed.length) {
    box.replaceChildren(el("p", { class: "muted" }, state.visits.size ? "No visit's home has coordinates." : ""));
    return;
  }
  const svgNs = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => {
    const made = document.createElementNS(svgNs, tag);
    for (const [name, value] of Object.entries(attrs)) made.setAttribute(name, String(value));
    if (text !== undefined) made.textContent = text;
    return made;
  };
  const width = 640;
  const height = 400;
  const pad = 30;
  const homes = placed.map((v) => state.homes.get(v.individual_id));
  const lats = homes.map((h) => h.lat);
  const lons = homes.map((h) => h.lon);
  const midLat = (Math.min(...lats) + Math.max(...lats)) / 2;
  // Equirectangular: a degree of longitude is cos(latitude) of a degree of latitude.
  const xs = lons.map((lon) => lon * Math.cos((midLat * Math.PI) / 180));
  const spanX = Math.max(Math.max(...xs) - Math.min(...xs), 0.005);
  const spanY = Math.max(Math.max(...lats) - Math.min(...lats), 0.005);
  const scale = Math.min((width - 2 * pad) / spanX, (height - 2 * pad) / spanY);
  const minX = Math.min(...xs);
  const maxLat = Math.max(...lats);
  const project = (home) => [
    pad + (home.lon * Math.cos((midLat * Math.PI) / 180) - minX) * scale,
    pad + (maxLat - home.lat) * scale,
  ];
  const svg = node("svg", { viewBox: `0 0 ${width} ${height}`, role: "img" });
  const outline = hull(homes.map(project));
  if (outline.length >= 3) svg.append(node("polygon", { class: "outline", points: outline.map((p) => p.join(",")).join(" ") }));
  // Group visits whose pins would overlap (a 24 px grid); a group shows its count and worst status.
  const cell = 24;
  const groups = new Map();
  for (const v of placed) {
    const [x, y] = project(state.homes.get(v.individual_id));
    const key = `${Math.round(x / cell)},${Math.round(y / cell)}`;
    if (!groups.has(key)) groups.set(key, { x: 0, y: 0, visits: [] });
    const group = groups.get(key);
    group.x += x;
    group.y += y;
    group.visits.push(v);
  }
  const urgency = ["missed", "overdue", "late", "short", "overrun", "in_progress", "scheduled", "completed", "cancelled"];
  const counts = {};
  for (const group of groups.values()) {
    const statuses = group.visits.map(boardStatus);
    for (const s of statuses) counts[s] = (counts[s] || 0) + 1;
    const worst = urgency.find((s) => statuses.includes(s)) || statuses[0];
    const n = group.visits.length;
    const x = group.x / n;
    const y = group.y / n;
    const pin = node("g", { "data-visits": n, "data-status": worst });
    pin.append(node("circle", { class: `pin status-${worst}`, cx: x.toFixed(1), cy: y.toFixed(1), r: n > 1 ? 10 + Math.min(8, Math.log2(n) * 2) : 7 }));
    if (n > 1) pin.append(node("text", { x: x.toFixed(1), y: (y + 4).toFixed(1), "text-anchor": "middle" }, String(n)));
    const first = group.visits[0];
    pin.append(node("title", {}, n > 1 ? `${n} visits here, the most urgent ${LABELS[worst] || worst}`
      : `${localTime(first.planned_start)} ${first.address || "visit"}: ${LABELS[worst] || worst}`));
    svg.append(pin);
  }
  const summary = Object.entries(counts).map(([s, n]) => `${n} ${LABELS[s] || s}`).join(", ");
  svg.setAttribute("aria-label", `Map of ${placed.length} visits in ${groups.size} places: ${summary}.`);
  box.replaceChildren(svg);
  $("map-message").textContent = placed.length < state.visits.size ? `${state.visits.size - placed.length} visits have no coordinates.` : "";
}

// ---- the week's indicators (the visits service's daily report, one day at a time) ---------------

function daysBack(count) {
  const today = localDate(state.timeZone);
  const [y, m, d] = today.split("-").map(Number);
  return [...Array(count).keys()].reverse().map((back) => new Date(Date.UTC(y, m - 1, d - back)).toISOString().slice(0, 10));
}

async function loadWeek() {
  const box = $("week");
  try {
    const days = daysBack(7);
    const reports = await Promise.all(days.map((day) =>
      api(`/v1/visits/reports/daily?locality=${encodeURIComponent(state.locality)}&date=${day}`)
        .then((report) => [day, report.by_locality[state.locality] || null])));
    renderWeek(reports);
  } catch (error) {
    box.replaceChildren(el("p", { class: "muted" }, `The week is unavailable: ${error.message}`));
  }
}

function renderWeek(reports) {
  const svgNs = "http://www.w3.org/2000/svg";
  const node = (tag, attrs, text) => {
    const made = document.createElementNS(svgNs, tag);
    for (const [name, value] of Object.entries(attrs)) made.setAttribute(name, String(value));
    if (text !== undefined) made.textContent = text;
    return made;
  };
  const width = 300;
  const height = 120;
  const column = width / reports.length;
  const svg = node("svg", { viewBox: `0 0 ${width} ${height + 30}`, role: "img" });
  const words = [];
  reports.forEach(([day, tally], i) => {
    const x = i * column;
    const punctuality = tally && tally.punctuality !== null ? tally.punctuality : null;
    const missed = tally ? tally.missed : 0;
    const bar = punctuality === null ? 0 : punctuality * (height - 16);
    svg.append(node("rect", { x: x + 4, y: height - bar, width: column - 8, height: Math.max(bar, 1),
      class: punctuality === null ? "bar" : punctuality >= 0.9 ? "bar good" : punctuality >= 0.7 ? "bar fair" : "bar poor" }));
    const label = punctuality === null ? "–" : `${Math.round(punctuality * 100)}%`;
    svg.append(node("text", { x: x + column / 2, y: height - bar - 3, "text-anchor": "middle" }, label));
    svg.append(node("text", { x: x + column / 2, y: height + 13, "text-anchor": "middle" }, day.slice(5)));
    svg.append(node("text", { x: x + column / 2, y: height + 26, "text-anchor": "middle", class: missed ? "missed-figure" : "" },
      missed ? String(missed) : ""));
    words.push(`${day}: punctuality ${label}, ${tally ? tally.visits : 0} visits, ${missed} missed`);
  });
  svg.setAttribute("aria-label", `Punctuality and missed visits, last seven days. ${words.join("; ")}.`);
  $("week").replaceChildren(svg, el("p", { class: "week-legend" }, "Bars: punctuality of delivered visits. Red figures under a date: visits missed."));
}

// ---- supervision and compliance per team (supervision's team views) -------------------------------

async function loadCompliance() {
  const message = $("compliance-message");
  const table = $("compliance-table");
  if (state.claims.role !== "registered_manager" && state.claims.role !== "supervisor") {
    // Supervision records are confidential to supervisors and registered managers (004 1.37-1.38).
    message.textContent = "Supervision and training compliance is shown to registered managers and supervisors.";
    table.hidden = true;
    return;
  }
  try {
    const body = await api("/v1/supervision/compliance?group_by=team");
    const rows = body.groups.map(({ group, summary }) => {
      const overdue = Object.entries(summary.overdue_by_rule).map(([rule, n]) => `${rule.replace(/_/g, " ")} ${n}`).join(", ");
      const percent = summary.compliant_percent === null ? "–" : `${Math.round(summary.compliant_percent)}%`;
      return el("tr", { "data-team": group || "" },
        el("th", { scope: "row" }, group || "no team"),
        el("td", {}, String(summary.workers)),
        el("td", { class: summary.compliant < summary.workers ? "behind" : "" }, `${summary.compliant} (${percent})`),
        el("td", {}, String(summary.supervision_compliant)),
        el("td", {}, String(summary.training_compliant)),
        el("td", { class: overdue ? "behind" : "" }, overdue || "none"),
        el("td", {}, String(summary.due_soon)));
    });
    $("compliance").replaceChildren(...rows);
    table.hidden = rows.length === 0;
    message.textContent = rows.length ? `On ${body.on}.` : "No supervisees recorded yet.";
  } catch (error) {
    table.hidden = true;
    message.textContent = `Compliance is unavailable: ${error.message}`;
  }
}

// ---- actions -------------------------------------------------------------------------------------

async function act(alert, action, body) {
  try {
    await api(`/v1/alerts/alerts/${encodeURIComponent(alert.id)}/${action}`, { method: "POST", body });
  } catch (error) {
    $("alerts-message").textContent = `Could not ${action} “${alert.title}”: ${error.message}`;
  }
  await loadAlerts();
}

// One dialog for the two written acts on an alert: a note for its record, or the outcome that resolves it.
const ALERT_DIALOGS = {
  resolve: { title: "Resolve alert", label: "Outcome (what happened, what was done)", button: "Resolve", action: "resolve", field: "outcome" },
  note: { title: "Add a note", label: "Note for the alert's record", button: "Add note", action: "notes", field: "text" },
};

function openAlertDialog(alert, kind) {
  const dialog = ALERT_DIALOGS[kind];
  state.resolving = { alert, dialog };
  $("resolve-title").textContent = dialog.title;
  $("resolve-label").textContent = dialog.label;
  $("resolve-submit").textContent = dialog.button;
  $("resolve-alert").textContent = alert.title;
  $("resolve-outcome").value = "";
  $("resolve-dialog").showModal();
}

// ---- start ---------------------------------------------------------------------------------------

function wire() {
  $("sign-in-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      await signIn($("token").value);
    } catch (error) {
      signOut(error.message);
    }
  });
  $("sign-out").addEventListener("click", () => signOut());
  $("locality").addEventListener("change", (event) => openLocality(event.target.value));
  for (const id of ["filter-status", "filter-worker", "filter-text"]) {
    $(id).addEventListener("input", () => {
      state.rowLimit = ROW_PAGE;
      renderBoard();
    });
  }
  $("board-more").addEventListener("click", () => {
    state.rowLimit += ROW_PAGE;
    renderBoard();
  });
  $("filters").addEventListener("submit", (event) => event.preventDefault());
  $("sound").addEventListener("click", (event) => {
    state.sound = !state.sound;
    event.target.setAttribute("aria-pressed", String(state.sound));
    event.target.textContent = state.sound ? "Sound on" : "Sound off";
  });
  $("resolve-cancel").addEventListener("click", () => $("resolve-dialog").close());
  $("resolve-form").addEventListener("submit", async () => {
    const text = $("resolve-outcome").value.trim();
    if (state.resolving && text) {
      const { alert, dialog } = state.resolving;
      await act(alert, dialog.action, { [dialog.field]: text });
    }
  });
  $("timelines-refresh").addEventListener("click", () => loadTimelines());
  $("move-cancel").addEventListener("click", () => $("move-dialog").close());
  for (const id of ["move-worker", "move-start"]) $(id).addEventListener("input", resetMoveVerdict);
  $("move-form").addEventListener("submit", (event) => {
    event.preventDefault();
    submitMove();
  });
  setInterval(tick, 1000);
  // Moves made elsewhere (the rota, another coordinator) are not status changes on the live stream.
  setInterval(() => { if (state.token && state.locality) loadVisits(true); }, 60000);
}

wire();
takeTokenFromFragment();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) signIn(saved).catch((error) => signOut(error.message));
else signOut();
