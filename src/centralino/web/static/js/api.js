// The REST API with the session cookie; errors carry the API's message for the user.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code;
    this.field = body?.error?.field;
  }
}

export async function api(method, path, body, { redirect = true } = {}) {
  const init = { method, headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  if (response.status === 401 && redirect) {
    location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
  }
  if (response.status === 204) return null;
  const data = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

/** Query string of the tenant chosen by an installation admin ("" for everyone else). */
export function tenantQuery(tenant) {
  return tenant ? `?tenant=${encodeURIComponent(tenant)}` : "";
}
