// The CTI event stream: one WebSocket, reconnected with the last sequence number seen so the
// server replays what was missed; a "resync" event means "reload your snapshots".
import { t } from "./i18n.js";

export class EventStream {
  constructor({ tenant = null, onEvent, onResync, onHello }) {
    this.tenant = tenant;
    this.onEvent = onEvent;
    this.onResync = onResync ?? (() => {});
    this.onHello = onHello ?? (() => {});
    this.lastSeq = null;
    this.delay = 500;
    this.closed = false;
    this.indicator = document.getElementById("connection");
  }

  url() {
    const params = new URLSearchParams();
    if (this.lastSeq !== null) params.set("since", String(this.lastSeq));
    if (this.tenant) params.set("tenant", this.tenant);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const query = params.toString();
    return `${scheme}//${location.host}/api/v1/events${query ? "?" + query : ""}`;
  }

  show(state) {
    if (!this.indicator) return;
    this.indicator.dataset.state = state;
    this.indicator.textContent = t(`stream.${state}`);
  }

  connect() {
    this.show("connecting");
    const socket = new WebSocket(this.url());
    this.socket = socket;
    socket.addEventListener("message", (message) => this.receive(JSON.parse(message.data)));
    socket.addEventListener("close", (closing) => {
      if (this.closed) return;
      if (closing.code === 4401) {
        location.assign(`/login?next=${encodeURIComponent(location.pathname)}`);
        return;
      }
      this.show("offline");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    });
  }

  receive(message) {
    if (message.type === "hello") {
      this.delay = 500;
      this.show("live");
      if (this.lastSeq === null) this.lastSeq = message.data.last_seq;
      this.onHello(message.data);
      return;
    }
    if (message.type === "error") return;
    if (typeof message.seq === "number") this.lastSeq = Math.max(this.lastSeq ?? 0, message.seq);
    if (message.type === "resync") {
      this.lastSeq = message.seq;
      this.onResync();
      return;
    }
    this.onEvent(message);
  }

  reset(tenant) {
    this.tenant = tenant;
    this.lastSeq = null;
    if (this.socket) this.socket.close();
  }
}
