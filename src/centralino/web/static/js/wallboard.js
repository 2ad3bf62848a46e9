// The supervisor wallboard: queues now and today, agents by state, alerts, charts, actions.
import { api, tenantQuery } from "./api.js";
import { serviceLevelChart, volumeChart } from "./charts.js";
import { duration, el, percent } from "./format.js";
import { t } from "./i18n.js";
import { attempt, toast } from "./shell.js";
import { EventStream } from "./stream.js";

const $ = (id) => document.getElementById(id);
const V1 = "/api/v1";
const STATES = ["available", "reserved", "on-call", "wrap-up", "break", "logged-out"];

const board = { tenant: null, queues: new Map(), agents: new Map(), intervals: [], alerts: new Map() };
const q = () => tenantQuery(board.tenant);

// Queues ------------------------------------------------------------------------------------
function renderQueues() {
  const rows = [...board.queues.values()].map((s) =>
    el("tr", { "data-queue": s.queue, class: s.at_risk ? "at-risk" : null },
      el("th", { scope: "row" }, s.queue),
      el("td", { class: "num waiting" }, s.waiting),
      el("td", { class: "num" }, s.longest_wait === null ? "—" : duration(s.longest_wait)),
      el("td", { class: "num sl", title: t("queue.sl_help", { formula: s.formula, text: s.formula_text, threshold: s.threshold, goal: percent(s.service_level_goal) }) },
        percent(s.service_level)),
      el("td", { class: "num" }, duration(s.asa)),
      el("td", { class: "num" }, duration(s.aht)),
      el("td", { class: "num" }, s.abandoned),
      el("td", { class: "num" }, s.callbacks_pending),
      el("td", { class: "num", title: t("queue.ewt_error_help") },
        s.ewt_error_mean === null ? "—" : `${Math.round(s.ewt_error_mean)} / ${Math.round(s.ewt_error_p90)} s`),
      el("td", { class: "num" }, `${s.agents_available} / ${s.agents_staffed}`),
    ),
  );
  $("queue-table").tBodies[0].replaceChildren(...rows);
  const formulas = new Map([...board.queues.values()].map((s) => [s.formula, s]));
  $("sl-formulas").textContent = [...formulas.values()]
    .map((s) => t("queue.formula_note", { formula: s.formula, text: s.formula_text, threshold: s.threshold, goal: percent(s.service_level_goal) }))
    .join(" · ");
  for (const s of board.queues.values()) {
    if (s.at_risk) board.alerts.set(s.queue, t("alert.sl_at_risk", { queue: s.queue, sl: percent(s.service_level), goal: percent(s.service_level_goal) }));
    else board.alerts.delete(s.queue);
  }
  renderAlerts();
}

function renderAlerts() {
  $("alerts").replaceChildren(...[...board.alerts.entries()].map(([queue, text]) => el("p", { class: "alert", "data-queue": queue }, text)));
}

// Agents ------------------------------------------------------------------------------------
function agentActions(agent) {
  const settable = ["available", "break", "logged-out"];
  const select = el("select", { "aria-label": t("agent.change_state", { name: agent.name }) },
    settable.includes(agent.state) ? null : el("option", { value: "", selected: true }, "—"),
    ...settable.map((s) => el("option", { value: s, selected: s === agent.state }, t(`state.${s}`))));
  const apply = el("button", { type: "button", class: "small", onclick: async () => {
    const state = select.value;
    if (!state) return;
    const updated = await attempt(() => api("PUT", `${V1}/live/agents/${agent.agent_id}/state${q()}`, { state, reason: state === "break" ? "supervisor" : null }));
    if (updated) showAgent(updated);
  } }, t("agent.set"));
  const cell = [select, apply];
  if (agent.call_id && agent.state === "on-call") {
    for (const mode of ["listen", "whisper", "barge"]) {
      cell.push(el("button", { type: "button", class: `small monitor ${mode}`, onclick: () => monitor(agent, mode) }, t(`monitor.${mode}`)));
    }
  }
  return cell;
}

async function monitor(agent, mode) {
  const extension = $("my-extension").value.trim();
  if (!/^[0-9]{2,8}$/.test(extension)) {
    toast(t("monitor.need_phone"), "error");
    $("my-extension").focus();
    return;
  }
  localStorage.setItem("centralino.supervisor.extension", extension);
  const done = await attempt(() => api("POST", `${V1}/calls/${agent.call_id}/monitor${q()}`, { mode, extension }));
  if (done) toast(t("monitor.ringing", { extension, mode: t(`monitor.${mode}`) }));
}

function showAgent(agent) {
  board.agents.set(agent.agent_id, agent);
  renderAgents();
}

function renderAgents() {
  const agents = [...board.agents.values()].sort(
    (a, b) => STATES.indexOf(a.state) - STATES.indexOf(b.state) || a.since - b.since,
  );
  const now = Date.now() / 1000;
  $("agent-table").tBodies[0].replaceChildren(
    ...agents.map((a) =>
      el("tr", { "data-agent": a.agent_id, "data-state": a.state },
        el("th", { scope: "row" }, a.name),
        el("td", { class: "mono" }, a.phone && a.phone !== a.extension ? `${a.extension} → ${a.phone}` : a.extension),
        el("td", {}, el("span", { class: "state", "data-state": a.state }, t(`state.${a.state}`)), a.reason ? el("span", { class: "muted small" }, ` ${a.reason}`) : null),
        el("td", { class: "num since", "data-since": a.since }, duration(now - a.since)),
        el("td", {}, el("div", { class: "actions" }, ...agentActions(a))),
      ),
    ),
  );
  const counts = STATES.map((s) => [s, agents.filter((a) => a.state === s).length]).filter(([, n]) => n);
  $("state-counts").textContent = counts.map(([s, n]) => `${t(`state.${s}`)} ${n}`).join(" · ");
}

function tick() {
  const now = Date.now() / 1000;
  for (const cell of document.querySelectorAll("#agent-table td.since")) {
    cell.textContent = duration(now - Number(cell.dataset.since));
  }
}

// Charts and announcement -------------------------------------------------------------------
function renderCharts() {
  const goal = [...board.queues.values()][0]?.service_level_goal ?? 0.8;
  serviceLevelChart($("chart-sl"), board.intervals, goal);
  volumeChart($("chart-volume"), board.intervals);
}

function showAnnouncement(announcement) {
  $("announcement-current").textContent = announcement ? t("announcement.current", { text: announcement.text }) : t("announcement.none");
  $("announcement-current").dataset.active = String(Boolean(announcement));
  $("btn-withdraw").disabled = !announcement;
}

// Loading and events ------------------------------------------------------------------------
async function load() {
  const [queues, agents, intervals, announcement] = await Promise.all([
    api("GET", `${V1}/live/queues${q()}`),
    api("GET", `${V1}/live/agents${q()}`),
    api("GET", `${V1}/live/intervals${q()}`),
    api("GET", `${V1}/live/announcement${q()}`),
  ]);
  board.queues = new Map(queues.items.map((s) => [s.queue, s]));
  board.agents = new Map(agents.items.map((a) => [a.agent_id, a]));
  board.intervals = intervals.items;
  renderQueues();
  renderAgents();
  renderCharts();
  showAnnouncement(announcement.announcement);
}

function onEvent(event) {
  const data = event.data;
  switch (event.type) {
    case "queue.tick":
      for (const s of data.queues) board.queues.set(s.queue, s);
      renderQueues();
      break;
    case "agent.state":
      showAgent(data);
      break;
    case "alert":
      board.alerts.set(data.queue, t("alert.queue", { queue: data.queue, message: data.message }));
      renderAlerts();
      break;
    case "announcement":
      showAnnouncement(data.announcement);
      break;
    case "intervals":
      board.intervals = data.intervals;
      renderCharts();
      break;
    default:
  }
}

async function start() {
  const me = await api("GET", `${V1}/me`);
  const select = $("tenant-select");
  if (select) {
    const tenants = await api("GET", `${V1}/tenants?limit=500`);
    select.replaceChildren(...tenants.items.map((x) => el("option", { value: x.name }, x.display_name || x.name)));
    board.tenant = tenants.items[0]?.name ?? null;
    select.addEventListener("change", () => {
      board.tenant = select.value;
      $("tenant-name").textContent = board.tenant;
      stream.reset(board.tenant);
      load();
    });
  }
  $("tenant-name").textContent = board.tenant ?? me.tenant;
  const stream = new EventStream({ tenant: board.tenant, onEvent, onResync: load });
  stream.connect();
  await load();
}

$("my-extension").value = localStorage.getItem("centralino.supervisor.extension") ?? "";
$("announcement-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const text = $("announcement-text").value.trim();
  if (!text) return;
  const result = await attempt(() => api("PUT", `${V1}/live/announcement${q()}`, { text }));
  if (result) {
    showAnnouncement(result.announcement);
    $("announcement-text").value = "";
  }
});
$("btn-withdraw").addEventListener("click", async () => {
  await attempt(() => api("DELETE", `${V1}/live/announcement${q()}`));
  showAnnouncement(null);
});
setInterval(tick, 1000);
start();
