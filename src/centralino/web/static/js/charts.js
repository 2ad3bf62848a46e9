// Small inline-SVG charts: enough for "service level and volume per interval today".
import { t } from "./i18n.js";
import { clock } from "./format.js";

const NS = "http://www.w3.org/2000/svg";
const W = 420;
const H = 190;
const PAD = { left: 34, right: 8, top: 16, bottom: 22 };

function svg(tag, attrs = {}, text) {
  const node = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  if (text !== undefined) node.textContent = text;
  return node;
}

function frame(label) {
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": label, class: "chart-svg" });
  root.append(svg("title", {}, label));
  return root;
}

function axisX(root, items, x) {
  const step = Math.max(1, Math.ceil(items.length / 8));
  items.forEach((item, i) => {
    if (i % step) return;
    root.append(svg("text", { x: x(i), y: H - 6, class: "axis", "text-anchor": "middle" }, clock(item.start)));
  });
}

function empty(container, label) {
  const root = frame(label);
  root.append(svg("text", { x: W / 2, y: H / 2, "text-anchor": "middle", class: "axis" }, t("chart.no_data")));
  container.replaceChildren(root);
}

/** Service level per interval as a line with the goal as a dashed rule (0..100 %). */
export function serviceLevelChart(container, items, goal = 0.8) {
  const label = t("chart.sl_title");
  if (!items.length) return empty(container, label);
  const root = frame(label);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i) => PAD.left + (items.length === 1 ? plotW / 2 : (i * plotW) / (items.length - 1));
  const y = (v) => PAD.top + plotH * (1 - v);
  for (const v of [0, 0.5, 1]) {
    root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), class: "grid" }));
    root.append(svg("text", { x: PAD.left - 4, y: y(v) + 4, "text-anchor": "end", class: "axis" }, `${v * 100}%`));
  }
  root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: y(goal), y2: y(goal), class: "goal" }));
  let path = "";
  items.forEach((item, i) => {
    if (item.service_level === null) return;
    path += `${path ? "L" : "M"}${x(i).toFixed(1)},${y(item.service_level).toFixed(1)}`;
    const dot = svg("circle", { cx: x(i), cy: y(item.service_level), r: 3, class: item.service_level < goal ? "dot low" : "dot" });
    dot.append(svg("title", {}, `${clock(item.start)} ${Math.round(item.service_level * 100)}%`));
    root.append(dot);
  });
  root.prepend(svg("path", { d: path, class: "line" }));
  axisX(root, items, x);
  container.replaceChildren(root);
}

/** Offered (bar), answered and abandoned (stacked inside) per interval. */
export function volumeChart(container, items) {
  const label = t("chart.volume_title");
  if (!items.length) return empty(container, label);
  const root = frame(label);
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const top = Math.max(1, ...items.map((i) => i.offered));
  const band = plotW / items.length;
  const x = (i) => PAD.left + band * i + band / 2;
  const h = (v) => (plotH * v) / top;
  root.append(svg("text", { x: PAD.left - 4, y: PAD.top + 8, "text-anchor": "end", class: "axis" }, String(top)));
  root.append(svg("line", { x1: PAD.left, x2: W - PAD.right, y1: PAD.top + plotH, y2: PAD.top + plotH, class: "grid" }));
  items.forEach((item, i) => {
    const width = Math.max(2, band * 0.7);
    const left = x(i) - width / 2;
    const base = PAD.top + plotH;
    const group = svg("g", { class: "interval" });
    group.append(svg("title", {}, t("chart.volume_tip", { time: clock(item.start), offered: item.offered, answered: item.answered, abandoned: item.abandoned })));
    group.append(svg("rect", { x: left, y: base - h(item.offered), width, height: h(item.offered), class: "bar offered" }));
    group.append(svg("rect", { x: left, y: base - h(item.answered), width, height: h(item.answered), class: "bar answered" }));
    group.append(svg("rect", { x: left, y: base - h(item.answered) - h(item.abandoned), width, height: h(item.abandoned), class: "bar abandoned" }));
    root.append(group);
  });
  axisX(root, items, x);
  const legend = svg("g", { class: "legend" });
  [["answered", t("chart.answered")], ["abandoned", t("chart.abandoned")], ["offered", t("chart.offered")]].forEach(([cls, text], i) => {
    legend.append(svg("rect", { x: W - 250 + i * 84, y: 0, width: 10, height: 10, class: `bar ${cls}` }));
    legend.append(svg("text", { x: W - 236 + i * 84, y: 9, class: "axis" }, text));
  });
  root.append(legend);
  container.replaceChildren(root);
}
