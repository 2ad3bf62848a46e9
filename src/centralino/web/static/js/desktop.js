// The agent desktop: state, screen pop, call controls, wrap-up, the customer record and timeline.
import { api } from "./api.js";
import { dateTime, duration, el, localTime } from "./format.js";
import { t } from "./i18n.js";
import { attempt, toast } from "./shell.js";
import { EventStream } from "./stream.js";

const $ = (id) => document.getElementById(id);
const V1 = "/api/v1";

const desk = {
  agent: null, // AgentStatus
  call: null, // the Offer (or dialed call) being handled
  callState: null, // "ringing" | "talking" | "held" | "ended"
  recordingPaused: false,
  customer: null,
  options: { break_reasons: [], dispositions: [], wrapup_seconds: 0 },
};

// Agent state -------------------------------------------------------------------------------
function showAgent(agent) {
  desk.agent = agent;
  if (!agent) {
    $("agent-name").textContent = t("desktop.not_an_agent");
    for (const id of ["btn-available", "btn-break", "btn-signout", "btn-phone"]) $(id).disabled = true;
    return;
  }
  $("agent-name").textContent = agent.name;
  $("agent-ext").textContent = agent.extension;
  if (document.activeElement !== $("phone-input")) $("phone-input").value = agent.phone ?? agent.extension;
  const badge = $("state-badge");
  badge.dataset.state = agent.state;
  badge.textContent = agent.reason ? `${t("state." + agent.state)} · ${agent.reason}` : t("state." + agent.state);
  $("wrapup-panel").hidden = agent.state !== "wrap-up";
  if (agent.state === "wrap-up" && desk.callState !== "ended") desk.callState = "ended";
  renderCall();
  tick();
}

function tick() {
  const now = Date.now() / 1000;
  if (desk.agent) $("state-time").textContent = duration(now - desk.agent.since);
  if (desk.agent?.wrapup_until) {
    const left = desk.agent.wrapup_until - now;
    $("wrapup-timer").textContent = left >= 0 ? duration(left) : `+${duration(-left)}`;
    $("wrapup-timer").dataset.over = String(left < 0);
  }
  if (desk.customer) $("caller-local-time").textContent = localTime(desk.customer.time_zone);
}

async function setState(state, reason = null) {
  const agent = await attempt(() => api("PUT", `${V1}/live/me/state`, { state, reason }));
  if (agent) showAgent(agent);
}

// Screen pop --------------------------------------------------------------------------------
function renderCall() {
  const call = desk.call;
  $("no-call").hidden = Boolean(call);
  $("call-info").hidden = !call;
  if (!call) return;
  const name = desk.customer?.name ?? call.caller_name ?? call.caller_number ?? t("desktop.unknown_caller");
  $("caller-name").textContent = name;
  const badge = $("caller-verified");
  badge.dataset.verified = String(Boolean(call.verified));
  badge.textContent = call.verified ? t("desktop.verified") : t("desktop.not_verified");
  $("caller-number").textContent = call.caller_number ?? t("desktop.withheld");
  $("call-queue").textContent = call.queue || t("desktop.outbound");
  $("call-wait").textContent = duration(call.waited ?? 0);
  $("call-state").textContent = t(`call.state.${desk.callState ?? "ringing"}`);
  const choices = Object.entries(call.ivr_choices ?? {}).map(([k, v]) => `${k}: ${v}`);
  $("ivr-choices").textContent = choices.length ? choices.join(", ") : t("common.none");
  $("ivr-trace").replaceChildren(...(call.ivr_trace ?? []).map((node) => el("li", {}, node)));
  const live = desk.callState !== "ended";
  $("btn-answer").disabled = desk.callState !== "ringing";
  $("btn-hold").disabled = !live || desk.callState === "ringing";
  $("btn-hold").firstChild.textContent = desk.callState === "held" ? `${t("call.resume")} ` : `${t("call.hold")} `;
  $("btn-recording").firstChild.textContent = desk.recordingPaused
    ? `${t("call.resume_recording")} `
    : `${t("call.pause_recording")} `;
  for (const id of ["btn-transfer", "btn-conference", "btn-recording", "btn-hangup"]) $(id).disabled = !live;
  tick();
}

async function popFor(call) {
  desk.call = call;
  desk.customer = null;
  desk.recordingPaused = false;
  renderCall();
  let customer = null;
  if (call.customer_id) {
    customer = await api("GET", `${V1}/customers/${encodeURIComponent(call.customer_id)}`).catch(() => null);
  } else if (call.caller_number) {
    const found = await api("GET", `${V1}/customers?phone=${encodeURIComponent(call.caller_number)}`).catch(() => null);
    if (found && found.total === 1) customer = found.items[0];
  }
  if (desk.call === call) showCustomer(customer);
}

// Customer record and timeline -------------------------------------------------------------
function showCustomer(customer) {
  desk.customer = customer;
  $("no-customer").hidden = Boolean(customer);
  $("customer-form").hidden = !customer;
  renderCall();
  if (!customer) {
    $("timeline").replaceChildren(el("li", { class: "muted" }, t("timeline.empty")));
    return;
  }
  $("cust-name").value = customer.name;
  $("cust-account").value = customer.account_number ?? "";
  $("cust-email").value = customer.email ?? "";
  $("cust-tz").value = customer.time_zone ?? "";
  $("cust-notes").value = customer.notes ?? "";
  $("cust-phones").replaceChildren(
    ...customer.phones.map((phone) =>
      el("li", {}, el("span", { class: "mono" }, phone.number), " ", phone.label ? el("span", { class: "muted" }, phone.label) : null, " ",
        el("button", { type: "button", class: "dial", "data-number": phone.number, onclick: () => dial(phone.number) }, t("customer.dial"))),
    ),
  );
  loadTimeline(customer.id);
}

async function loadTimeline(customerId) {
  const result = await api("GET", `${V1}/customers/${encodeURIComponent(customerId)}/timeline`).catch(() => null);
  const items = result?.items ?? [];
  $("timeline").replaceChildren(
    ...(items.length
      ? items.map((entry) =>
          el("li", { "data-kind": entry.kind }, el("span", { class: "muted small" }, dateTime(entry.at)), " ",
            el("span", { class: "tag" }, t(`timeline.${entry.kind}`)), " ", entry.summary))
      : [el("li", { class: "muted" }, t("timeline.empty"))]),
  );
}

async function saveCustomer(event) {
  event.preventDefault();
  if (!desk.customer) return;
  const body = {
    name: $("cust-name").value,
    account_number: $("cust-account").value || null,
    email: $("cust-email").value || null,
    time_zone: $("cust-tz").value || null,
    notes: $("cust-notes").value || null,
  };
  const saved = await attempt(() => api("PATCH", `${V1}/customers/${desk.customer.id}`, body));
  if (saved) {
    desk.customer = saved;
    toast(t("customer.saved"));
    renderCall();
  }
}

async function search(event) {
  event.preventDefault();
  const query = $("customer-query").value.trim();
  if (!query) return;
  const param = /^[+0-9 ()-]{4,}$/.test(query) ? "phone" : "name";
  const found = await attempt(() => api("GET", `${V1}/customers?${param}=${encodeURIComponent(query)}&limit=10`));
  if (!found) return;
  const list = $("search-results");
  list.hidden = false;
  list.replaceChildren(
    ...(found.items.length
      ? found.items.map((c) => el("li", {}, el("button", { type: "button", class: "link", onclick: () => { list.hidden = true; showCustomer(c); } }, c.name),
          " ", el("span", { class: "muted small" }, c.phones.map((p) => p.number).join(", "))))
      : [el("li", { class: "muted" }, t("customer.not_found"))]),
  );
}

async function dial(number) {
  const result = await attempt(() => api("POST", `${V1}/calls`, { number, customer_id: desk.customer?.id ?? null }));
  if (result) toast(t("customer.dialing", { number }));
}

// Call controls -----------------------------------------------------------------------------
const callPath = (suffix = "") => `${V1}/calls/${encodeURIComponent(desk.call.call_id)}${suffix}`;

async function control(method, suffix, body) {
  if (!desk.call) return;
  await attempt(() => api(method, callPath(suffix), body));
}

const targets = { agent: [], queue: [] };

async function loadTargets() {
  const [agents, queues] = await Promise.all([
    api("GET", `${V1}/live/directory`).catch(() => ({ items: [] })),
    api("GET", `${V1}/live/queues`).catch(() => ({ items: [] })),
  ]);
  targets.agent = agents.items.filter((a) => a.agent_id !== desk.agent?.agent_id);
  targets.queue = queues.items;
  showTargets();
}

function showTargets() {
  const kind = $("transfer-kind").value;
  const options = kind === "agent"
    ? targets.agent.map((a) => el("option", { value: a.extension, label: `${a.name} · ${t(`state.${a.state}`)}` }))
    : kind === "queue" ? targets.queue.map((q) => el("option", { value: q.queue, label: t("call.waiting_in_queue", { waiting: q.waiting }) })) : [];
  $("transfer-targets").replaceChildren(...options);
}

function openTransfer(mode) {
  if (!desk.call || desk.callState === "ended") return;
  $("transfer-form").hidden = false;
  $("transfer-mode").value = mode;
  $("transfer-target").focus();
  loadTargets();
}

async function sendTransfer(event) {
  event.preventDefault();
  const mode = $("transfer-mode").value;
  const kind = $("transfer-kind").value;
  let target = $("transfer-target").value.trim();
  if (kind === "agent") {
    // Typed as an extension or a name; the server wants the agent's id.
    const found = targets.agent.find((a) => a.extension === target || a.name.toLowerCase() === target.toLowerCase());
    if (!found) {
      toast(t("call.unknown_agent", { target }), "error");
      return;
    }
    target = found.agent_id;
  }
  const body = { kind, target };
  if (mode === "conference") await control("POST", "/conference", body);
  else await control("POST", "/transfers", { ...body, mode });
  $("transfer-form").hidden = true;
}

async function submitWrapUp(event) {
  event?.preventDefault();
  if (!desk.call) return;
  const disposition = $("disposition").value;
  if (!disposition) {
    toast(t("wrapup.choose"), "error");
    return;
  }
  await control("PUT", "/wrapup", { disposition, notes: $("wrapup-notes").value });
}

// Queues the agent can see waiting ---------------------------------------------------------
const waiting = new Map();

function showQueues(snapshots) {
  for (const s of snapshots) waiting.set(s.queue, s);
  $("queue-strip").replaceChildren(
    ...[...waiting.values()].map((s) =>
      el("span", { class: s.waiting ? "busy" : null, "data-queue": s.queue }, t("desktop.queue_waiting", { queue: s.queue, waiting: s.waiting }))),
  );
}

// Events ------------------------------------------------------------------------------------
function onEvent(event) {
  const data = event.data;
  const mine = desk.agent && data.agent_id === desk.agent.agent_id;
  const current = desk.call && data.call_id === desk.call.call_id;
  switch (event.type) {
    case "agent.state":
      if (mine) showAgent(data);
      break;
    case "call.offered":
      if (mine) {
        desk.callState = "ringing";
        popFor(data);
      }
      break;
    case "call.dialed":
      if (mine) {
        desk.callState = "talking";
        popFor({ call_id: data.call_id, caller_number: data.number, customer_id: data.customer_id, queue: "", waited: 0, verified: false });
      }
      break;
    case "call.answered":
      if (current) desk.callState = "talking";
      break;
    case "call.held":
      if (current) desk.callState = data.held ? "held" : "talking";
      break;
    case "call.recording":
      if (current) desk.recordingPaused = data.paused;
      break;
    case "call.transferred":
    case "call.conferenced":
      if (current) toast(t(`call.${event.type.slice(5)}_to`, { target: data.target }));
      break;
    case "call.ended":
      if (current) desk.callState = "ended";
      break;
    case "call.wrapped":
      if (current) {
        desk.call = null;
        desk.callState = null;
        $("wrapup-notes").value = "";
        $("disposition").value = "";
        toast(t("wrapup.saved", { disposition: data.disposition }));
      }
      break;
    case "announcement":
      if (data.announcement) toast(t("announcement.now", { text: data.announcement.text }));
      break;
    case "queue.tick":
      showQueues(data.queues);
      return;
    default:
      return;
  }
  renderCall();
}

async function load() {
  const me = await api("GET", `${V1}/live/me`);
  desk.options = me.options;
  $("break-reason").replaceChildren(...me.options.break_reasons.map((r) => el("option", { value: r }, t(`break.${r}`))));
  $("disposition").replaceChildren(
    el("option", { value: "" }, t("wrapup.choose")),
    ...me.options.dispositions.map((d) => el("option", { value: d }, t(`disposition.${d}`))),
  );
  showAgent(me.agent);
  api("GET", `${V1}/live/queues`).then((queues) => showQueues(queues.items)).catch(() => null);
  if (me.offer && !desk.call) {
    desk.callState = { reserved: "ringing", "on-call": "talking", "wrap-up": "ended" }[me.agent?.state] ?? "talking";
    popFor(me.offer);
  }
}

// Keyboard: Alt+letter by physical key, so it works whatever the layout prints with Alt.
const SHORTCUTS = {
  KeyA: () => control("POST", "/answer"),
  KeyH: () => control(desk.callState === "held" ? "DELETE" : "PUT", "/hold"),
  KeyT: () => openTransfer("blind"),
  KeyC: () => openTransfer("conference"),
  KeyR: () => control("PUT", "/recording", { paused: !desk.recordingPaused }),
  KeyX: () => control("DELETE", ""),
  KeyW: () => submitWrapUp(),
  KeyV: () => setState("available"),
  KeyB: () => setState("break", $("break-reason").value),
};

document.addEventListener("keydown", (event) => {
  if (!event.altKey || event.ctrlKey || event.metaKey) return;
  const action = SHORTCUTS[event.code];
  if (action) {
    event.preventDefault();
    action();
  }
});

$("btn-available").addEventListener("click", () => setState("available"));
$("btn-break").addEventListener("click", () => setState("break", $("break-reason").value));
$("btn-signout").addEventListener("click", () => setState("logged-out"));
$("phone-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const agent = await attempt(() => api("PUT", `${V1}/live/me/phone`, { extension: $("phone-input").value }));
  if (agent) {
    showAgent(agent);
    toast(t("desktop.phone_set", { extension: agent.phone }));
  }
});
$("btn-answer").addEventListener("click", SHORTCUTS.KeyA);
$("btn-hold").addEventListener("click", SHORTCUTS.KeyH);
$("btn-transfer").addEventListener("click", SHORTCUTS.KeyT);
$("btn-conference").addEventListener("click", SHORTCUTS.KeyC);
$("btn-recording").addEventListener("click", SHORTCUTS.KeyR);
$("btn-hangup").addEventListener("click", SHORTCUTS.KeyX);
$("transfer-form").addEventListener("submit", sendTransfer);
$("transfer-kind").addEventListener("change", showTargets);
$("transfer-cancel").addEventListener("click", () => ($("transfer-form").hidden = true));
$("wrapup-panel").addEventListener("submit", submitWrapUp);
$("customer-form").addEventListener("submit", saveCustomer);
$("customer-search").addEventListener("submit", search);

const stream = new EventStream({ onEvent, onResync: load });
stream.connect();
load();
setInterval(tick, 1000);
