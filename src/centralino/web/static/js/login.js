import { api } from "./api.js";
import { t } from "./i18n.js";

const HOME = { agent: "/desktop", supervisor: "/wallboard", admin: "/wallboard" };
const form = document.getElementById("login-form");
const error = document.getElementById("login-error");

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  error.hidden = true;
  try {
    const result = await api("POST", "/api/v1/auth/login", {
      username: form.username.value,
      password: form.password.value,
    }, { redirect: false });
    const next = new URLSearchParams(location.search).get("next");
    const safe = next && next.startsWith("/") && !next.startsWith("//") ? next : null;
    location.assign(safe ?? HOME[result.user.role] ?? "/desktop");
  } catch (failure) {
    error.textContent = failure.status === 401 ? t("login.failed") : failure.message;
    error.hidden = false;
  }
});
