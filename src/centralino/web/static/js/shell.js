// What every page shares: logout, the toast for messages.
import { api } from "./api.js";

export function toast(message, kind = "info") {
  const box = document.getElementById("toast");
  box.textContent = message;
  box.dataset.kind = kind;
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (box.hidden = true), 5000);
}

/** Run an action, showing the API's message if it fails. */
export async function attempt(action) {
  try {
    return await action();
  } catch (error) {
    toast(error.message, "error");
    return undefined;
  }
}

const logout = document.getElementById("logout");
if (logout) {
  logout.addEventListener("click", async () => {
    await api("POST", "/api/v1/auth/logout", undefined, { redirect: false }).catch(() => null);
    location.assign("/login");
  });
}
