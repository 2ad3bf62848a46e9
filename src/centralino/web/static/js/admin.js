// Admin pages: read views of the configuration, and a file upload checked before it is applied.
import { api } from "./api.js";
import { el } from "./format.js";
import { t } from "./i18n.js";
import { attempt, toast } from "./shell.js";

const $ = (id) => document.getElementById(id);
const V1 = "/api/v1";

const VIEWS = {
  tenants: ["name", "display_name", "country", "time_zone", "language", "sip_domain"],
  numbers: ["tenant", "number", "name", "kind", "hours", "route"],
  queues: ["tenant", "name", "strategy", "skills", "service_level_threshold", "service_level_formula", "wrapup"],
  agents: ["tenant", "extension", "name", "languages", "tier", "skills", "queues"],
  skills: ["tenant", "name", "description"],
  users: ["tenant", "username", "role", "display_name", "active"],
};

function cell(value) {
  if (value === null || value === undefined) return "—";
  if (Array.isArray(value)) return value.map((v) => (typeof v === "object" ? v.name ?? v.queue ?? JSON.stringify(v) : v)).join(", ");
  if (typeof value === "object") {
    if ("kind" in value) return value.target ? `${value.kind} → ${value.target}` : value.kind;
    return Object.entries(value).map(([k, v]) => `${k} ${v}`).join(", ");
  }
  return String(value);
}

async function showView(name) {
  for (const tab of $("view-tabs").children) tab.setAttribute("aria-selected", String(tab.dataset.view === name));
  const view = $("view");
  const data = await api("GET", `${V1}/${name}?limit=500`).catch((error) => error);
  if (data instanceof Error) {
    view.replaceChildren(el("p", { class: "muted" }, data.message));
    return;
  }
  const columns = VIEWS[name];
  view.replaceChildren(
    el("table", { "data-view": name },
      el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col" }, t(`field.${c}`))))),
      el("tbody", {}, ...data.items.map((item) => el("tr", {}, ...columns.map((c) => el("td", {}, cell(item[c])))))),
    ),
    el("p", { class: "muted small" }, t("admin.count", { count: data.total })),
  );
}

for (const name of Object.keys(VIEWS)) {
  $("view-tabs").append(el("button", { type: "button", role: "tab", "data-view": name, onclick: () => showView(name) }, t(`admin.view.${name}`)));
}
showView("queues");

// Upload ------------------------------------------------------------------------------------
const upload = { text: null, filename: null, sha256: null, installationAdmin: false };

function showListing(text, problems) {
  const byLine = new Map();
  for (const p of problems) if (p.line) byLine.set(p.line, p.severity === "error" || byLine.get(p.line) === "error" ? "error" : "warning");
  const listing = $("config-listing");
  listing.replaceChildren(
    ...text.split("\n").map((line, i) =>
      el("span", { class: `line ${byLine.get(i + 1) ?? ""}`, id: `line-${i + 1}` }, el("span", { class: "ln" }, String(i + 1).padStart(4)), ` ${line}\n`)),
  );
  listing.hidden = false;
}

async function check(event) {
  event.preventDefault();
  const file = $("config-file").files[0];
  if (!file) {
    toast(t("admin.choose_file"), "error");
    return;
  }
  upload.text = await file.text();
  upload.filename = file.name;
  const result = await attempt(() => api("POST", `${V1}/config/check`, { text: upload.text, filename: upload.filename }));
  if (!result) return;
  upload.sha256 = result.sha256;
  $("check-summary").textContent = result.errors
    ? t("admin.has_errors", { errors: result.errors, warnings: result.warnings })
    : t("admin.no_errors", { warnings: result.warnings });
  $("check-summary").dataset.ok = String(result.errors === 0);
  $("problems").replaceChildren(
    ...result.problems.map((p) =>
      el("li", { class: p.severity },
        el("a", { href: p.line ? `#line-${p.line}` : null, class: "mono" }, p.line ? `${p.line}:${p.column ?? 1}` : upload.filename),
        " ", el("span", { class: "tag" }, t(`admin.${p.severity}`)), " ", p.message,
        p.hint ? el("span", { class: "muted" }, ` — ${p.hint}`) : null)),
  );
  showListing(upload.text, result.problems);
  $("btn-apply").disabled = result.errors > 0 || !upload.installationAdmin;
  if (result.errors === 0 && !upload.installationAdmin) toast(t("admin.apply_needs_installation_admin"));
}

async function apply() {
  const result = await attempt(() => api("POST", `${V1}/config/apply`, { text: upload.text, filename: upload.filename, sha256: upload.sha256 }));
  if (!result) return;
  $("check-summary").textContent = result.changed ? t("admin.applied", { count: result.changes.length }) : t("admin.unchanged");
  $("problems").replaceChildren(...result.changes.map((c) => el("li", {}, c)));
  $("btn-apply").disabled = true;
  showView("queues");
}

if ($("upload-form")) {
  api("GET", `${V1}/me`).then((me) => (upload.installationAdmin = me.role === "admin" && me.tenant_id === null));
  $("upload-form").addEventListener("submit", check);
  $("config-file").addEventListener("change", () => ($("btn-apply").disabled = true));
  $("btn-apply").addEventListener("click", () => $("confirm-apply").showModal());
  $("confirm-apply").addEventListener("close", () => {
    if ($("confirm-apply").returnValue === "apply") apply();
  });
}
