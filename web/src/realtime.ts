// The WebSocket client for /api/ws. Isolated here so the frame format can change in one place.
//
// Frames (the realtime feature's contract):
//   client → server  {"type": "hello", "last_event_id": N}      on every (re)connect
//   server → client  {"type": "event", "id": N, "kind": "...", "item_type": "...", "item_id": "...",
//                     "marking": {...}, "payload": {...}}
//   server → client  {"type": "ping"}                          answered with {"type": "pong"}
// The client remembers the last event id it handled (per tab, in sessionStorage) and resumes from it,
// so no event is lost or handled twice across a reconnect; events at or below that id are ignored.
import { signal } from "@preact/signals";
import type { Marking } from "./markings";

export interface RealtimeEvent {
  id: number;
  kind: string;
  item_type: string;
  item_id: string | number;
  marking: Marking | null;
  payload: Record<string, unknown>;
}

export type ConnectionState = "idle" | "connecting" | "open" | "closed";
type Handler = (event: RealtimeEvent) => void;

const STORAGE_KEY = "concord.last_event_id";

export interface RealtimeOptions {
  url?: string;
  /** Where the last handled id is kept; sessionStorage by default. */
  storage?: Pick<Storage, "getItem" | "setItem">;
  socketFactory?: (url: string) => WebSocket;
  maxBackoffMs?: number;
}

export class RealtimeClient {
  readonly state = signal<ConnectionState>("idle");
  readonly lastEventId = signal<number>(0);
  private socket: WebSocket | null = null;
  private handlers = new Map<string, Set<Handler>>();
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private readonly url: string;
  private readonly storage: Pick<Storage, "getItem" | "setItem">;
  private readonly factory: (url: string) => WebSocket;
  private readonly maxBackoffMs: number;

  constructor(options: RealtimeOptions = {}) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = options.url ?? `${scheme}://${location.host}/api/ws`;
    this.storage = options.storage ?? sessionStorage;
    this.factory = options.socketFactory ?? ((u) => new WebSocket(u));
    this.maxBackoffMs = options.maxBackoffMs ?? 30000;
    this.lastEventId.value = Number(this.storage.getItem(STORAGE_KEY) ?? 0) || 0;
  }

  /** Subscribe to events whose kind is `kind`, starts with `kind.` or any event for "*". */
  on(kind: string, handler: Handler): () => void {
    let set = this.handlers.get(kind);
    if (!set) this.handlers.set(kind, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.socket?.close(1000, "signed out");
    this.socket = null;
    this.state.value = "idle";
  }

  /** Forget the position (a different person signed in: their stream starts fresh). */
  reset(): void {
    this.lastEventId.value = 0;
    this.storage.setItem(STORAGE_KEY, "0");
  }

  private connect(): void {
    this.state.value = "connecting";
    const socket = this.factory(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.state.value = "open";
      socket.send(JSON.stringify({ type: "hello", last_event_id: this.lastEventId.value }));
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.state.value = "closed";
      if (!this.stopped) this.scheduleReconnect();
    };
    // An error is always followed by close, where reconnection is handled.
    socket.onerror = () => undefined;
  }

  private scheduleReconnect(): void {
    // Exponential backoff with jitter so a restarted server is not hit by every console at once.
    const base = Math.min(this.maxBackoffMs, 500 * 2 ** this.attempts);
    this.attempts += 1;
    this.timer = setTimeout(() => this.connect(), base / 2 + Math.random() * (base / 2));
  }

  private receive(text: string): void {
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(text) as Record<string, unknown>;
    } catch {
      return;
    }
    if (frame["type"] === "ping") {
      this.socket?.send(JSON.stringify({ type: "pong" }));
      return;
    }
    if (frame["type"] !== "event") return;
    const event = frame as unknown as RealtimeEvent;
    const id = Number(event.id);
    if (!Number.isFinite(id) || id <= this.lastEventId.value) return;
    this.lastEventId.value = id;
    this.storage.setItem(STORAGE_KEY, String(id));
    this.dispatch(event);
  }

  private dispatch(event: RealtimeEvent): void {
    const targets = new Set<Handler>(this.handlers.get("*") ?? []);
    const parts = event.kind.split(".");
    for (let i = 1; i <= parts.length; i++) this.handlers.get(parts.slice(0, i).join("."))?.forEach((h) => targets.add(h));
    for (const handler of targets) {
      try {
        handler(event);
      } catch (err) {
        console.warn("realtime handler failed", event.kind, err);
      }
    }
  }
}

/** The one client of this page, started once someone is signed in. */
export const realtime = new RealtimeClient();
