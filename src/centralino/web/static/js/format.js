// Numbers, durations and times for people.
import { t } from "./i18n.js";

export function duration(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return t("common.no_data");
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${pad(m)}:${pad(s % 60)}` : `${pad(m)}:${pad(s % 60)}`;
}

export function percent(ratio) {
  return ratio === null || ratio === undefined ? t("common.no_data") : `${Math.round(ratio * 100)}%`;
}

/** Wall-clock time now in an IANA zone, e.g. "14:05 (Europe/Warsaw)"; "" for an unknown zone. */
export function localTime(zone) {
  if (!zone) return "";
  try {
    const time = new Intl.DateTimeFormat("en-GB", { timeZone: zone, hour: "2-digit", minute: "2-digit" }).format(new Date());
    return t("desktop.local_time_value", { time, zone });
  } catch {
    return "";
  }
}

export function clock(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" });
}

export function dateTime(epochSeconds) {
  return new Date(epochSeconds * 1000).toLocaleString("en-GB", { dateStyle: "short", timeStyle: "short" });
}

/** Element helper: el("td", {class: "x"}, "text", child...) */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "dataset") Object.assign(node.dataset, value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
