// Texts by key from the catalog the server embeds in each page (web/i18n/<lang>.json).
const catalog = JSON.parse(document.getElementById("i18n-catalog").textContent);

/** The text for `key`, with {name} placeholders filled from `values`; the key itself if missing. */
export function t(key, values = {}) {
  const text = catalog[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in values ? String(values[name]) : `{${name}}`));
}
