// The WebSocket client for /api/ws. Isolated here so the frame format can change in one place.
//
// Frames (concord/api/ws/protocol.py is the authority):
//   → {"type": "hello", "last_event_id": N | null, "received_after": [ids above N already held]}
//   ← {"type": "welcome", "resume_from": N, "latest": M, ...}
//   ← {"type": "event", "cursor": C, "event": {id, at, kind, item_type, item_id, marking, payload, ...}}
//        every event this reader may see with id ≤ C has now been sent; urgent events (FLASH) may
//        arrive ahead of their turn, which is why ids above C already held are listed in the hello.
//   ← {"type": "ping", "nonce"} → {"type": "pong", "nonce"};  → {"type": "ack"|"read", "message_id", "ref"}
//   → {"type": "received", "last_event_id": C, "received_after": [ids]}  what this tab holds, sent
//        shortly after events arrive: the server counts a message as delivered only from this receipt.
//   ← {"type": "ok"|"error", "ref", ...};  ← {"type": "closing", "code", "reason", "resume_from"}
//   ← {"type": "presence", "changes": [{person_id, nation, online}], "reload"?: true}  who came online or
//        went offline. Ephemeral: not events, no cursor, not resent on resume, so whoever shows presence
//        takes the GET /api/presence snapshot after every welcome (`welcomes`) and on `reload`.
// The position (cursor and ids held ahead of it) is kept per tab in sessionStorage, so a reload or a
// reconnect resumes without losing or repeating an event. A first connection starts from now
// (null) and asks the screens to reload what they show ("resync").
import { signal } from "@preact/signals";
import type { Marking } from "./markings";

export interface RealtimeEvent {
  id: number;
  at?: string;
  kind: string;
  item_type: string;
  item_id: string | number;
  actor_id?: number | null;
  actor_nation?: string | null;
  marking: Marking | null;
  payload: Record<string, unknown>;
}

export interface PresenceChange {
  person_id: number;
  nation: string;
  online: boolean;
}

export type ConnectionState = "idle" | "connecting" | "open" | "closed";
type Handler = (event: RealtimeEvent) => void;
/** `reload`: changes were dropped (the client fell behind); take the snapshot again. */
type PresenceHandler = (changes: PresenceChange[], reload: boolean) => void;

const STORAGE_KEY = "concord.realtime";
/** How long after an event the tab confirms what it holds (one receipt per burst, not per event). */
const RECEIPT_DELAY_MS = 250;
/** Close codes after which reconnecting will not help until the person signs in again. */
const SIGNED_OUT_CODES = new Set([4401, 4403]);

interface Position {
  cursor: number | null;
  ahead: number[];
}

export interface RealtimeOptions {
  url?: string;
  storage?: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  socketFactory?: (url: string) => WebSocket;
  maxBackoffMs?: number;
  onSignedOut?: () => void;
}

export class RealtimeClient {
  readonly state = signal<ConnectionState>("idle");
  /** Incremented whenever screens should reload from the REST API (a fresh start, not a resume). */
  readonly resyncs = signal(0);
  /** Incremented on every welcome (each connection and reconnection): ephemeral state (presence)
   *  missed while disconnected is taken again from the REST API. */
  readonly welcomes = signal(0);
  private presenceHandlers = new Set<PresenceHandler>();
  private socket: WebSocket | null = null;
  private handlers = new Map<string, Set<Handler>>();
  private attempts = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private receiptTimer: ReturnType<typeof setTimeout> | null = null;
  private stopped = true;
  private cursor: number | null = null;
  private ahead = new Set<number>();
  private pending = new Map<string, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  private nextRef = 1;
  private readonly url: string;
  private readonly storage: Pick<Storage, "getItem" | "setItem" | "removeItem">;
  private readonly factory: (url: string) => WebSocket;
  private readonly maxBackoffMs: number;
  onSignedOut: () => void;

  constructor(options: RealtimeOptions = {}) {
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.url = options.url ?? `${scheme}://${location.host}/api/ws`;
    this.storage = options.storage ?? sessionStorage;
    this.factory = options.socketFactory ?? ((u) => new WebSocket(u));
    this.maxBackoffMs = options.maxBackoffMs ?? 30000;
    this.onSignedOut = options.onSignedOut ?? (() => undefined);
    this.restore();
  }

  /** Subscribe to events whose kind is `kind`, starts with `kind.`, or every event for "*". */
  on(kind: string, handler: Handler): () => void {
    let set = this.handlers.get(kind);
    if (!set) this.handlers.set(kind, (set = new Set()));
    set.add(handler);
    return () => set.delete(handler);
  }

  /** Subscribe to presence frames (who came online or went offline). */
  onPresence(handler: PresenceHandler): () => void {
    this.presenceHandlers.add(handler);
    return () => this.presenceHandlers.delete(handler);
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
    if (this.receiptTimer) clearTimeout(this.receiptTimer);
    this.receiptTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "signed out");
    this.state.value = "idle";
    this.failPending("connection closed");
  }

  /** Forget the position (another person signed in: their stream starts fresh). */
  reset(): void {
    this.cursor = null;
    this.ahead.clear();
    this.storage.removeItem(STORAGE_KEY);
  }

  /** Acknowledge or mark read a message over the socket; resolves with the server's `ok` frame. */
  send(action: "ack" | "read", messageId: number): Promise<Record<string, unknown>> {
    const socket = this.socket;
    if (!socket || this.state.value !== "open") return Promise.reject(new Error("not connected"));
    const ref = `r${this.nextRef++}`;
    return new Promise((resolve, reject) => {
      this.pending.set(ref, { resolve, reject });
      socket.send(JSON.stringify({ type: action, message_id: messageId, ref }));
    });
  }

  private restore(): void {
    try {
      const saved = JSON.parse(this.storage.getItem(STORAGE_KEY) ?? "null") as Position | null;
      if (saved && (saved.cursor === null || Number.isInteger(saved.cursor))) {
        this.cursor = saved.cursor;
        this.ahead = new Set(saved.ahead.filter((id) => Number.isInteger(id)));
      }
    } catch {
      this.reset();
    }
  }

  private save(): void {
    this.storage.setItem(STORAGE_KEY, JSON.stringify({ cursor: this.cursor, ahead: [...this.ahead] }));
  }

  private connect(): void {
    this.state.value = "connecting";
    const socket = this.factory(this.url);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.state.value = "open";
      const ahead = this.cursor === null ? [] : [...this.ahead].filter((id) => id > (this.cursor as number));
      socket.send(JSON.stringify({ type: "hello", last_event_id: this.cursor, received_after: ahead }));
    };
    socket.onmessage = (message) => this.receive(String(message.data));
    socket.onclose = (close) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.state.value = "closed";
      this.failPending("connection closed");
      if (SIGNED_OUT_CODES.has(close.code)) {
        this.stopped = true;
        this.onSignedOut();
        return;
      }
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
    switch (frame["type"]) {
      case "ping":
        this.socket?.send(JSON.stringify({ type: "pong", nonce: frame["nonce"] ?? null }));
        return;
      case "welcome": {
        const fresh = this.cursor === null;
        if (fresh) {
          this.cursor = Number(frame["resume_from"] ?? frame["latest"] ?? 0);
          this.save();
          this.resyncs.value += 1;
        }
        this.welcomes.value += 1;
        return;
      }
      case "presence":
        this.receivePresence(frame);
        return;
      case "event":
        this.receiveEvent(frame);
        return;
      case "closing": {
        const hint = frame["resume_from"];
        if (typeof hint === "number") {
          this.cursor = hint;
          this.ahead = new Set([...this.ahead].filter((id) => id > hint));
          this.save();
        }
        return;
      }
      case "ok":
      case "error": {
        const ref = typeof frame["ref"] === "string" ? frame["ref"] : null;
        const waiting = ref ? this.pending.get(ref) : undefined;
        if (!waiting || !ref) return;
        this.pending.delete(ref);
        if (frame["type"] === "ok") waiting.resolve(frame);
        else waiting.reject(new Error(String(frame["message"] ?? "refused")));
        return;
      }
      default:
        return;
    }
  }

  private receiveEvent(frame: Record<string, unknown>): void {
    const event = (frame["event"] ?? frame) as RealtimeEvent;
    const id = Number(event.id);
    const cursor = Number(frame["cursor"] ?? id);
    if (!Number.isFinite(id)) return;
    const duplicate = (this.cursor !== null && id <= this.cursor) || this.ahead.has(id);
    if (!duplicate) this.ahead.add(id);
    if (Number.isFinite(cursor) && (this.cursor === null || cursor > this.cursor)) this.cursor = cursor;
    const floor = this.cursor ?? 0;
    this.ahead = new Set([...this.ahead].filter((held) => held > floor));
    this.save();
    if (!duplicate) this.dispatch(event);
    this.scheduleReceipt();
  }

  /** Tell the server what this tab now holds, once per burst of events (delivery receipts rest on it). */
  private scheduleReceipt(): void {
    if (this.receiptTimer !== null) return;
    this.receiptTimer = setTimeout(() => {
      this.receiptTimer = null;
      const floor = this.cursor;
      if (floor === null || this.state.value !== "open") return;
      const ahead = [...this.ahead].filter((id) => id > floor);
      this.socket?.send(JSON.stringify({ type: "received", last_event_id: floor, received_after: ahead }));
    }, RECEIPT_DELAY_MS);
  }

  private receivePresence(frame: Record<string, unknown>): void {
    const raw = Array.isArray(frame["changes"]) ? (frame["changes"] as unknown[]) : [];
    const changes = raw.filter(
      (c): c is PresenceChange =>
        typeof c === "object" && c !== null && Number.isInteger((c as PresenceChange).person_id) &&
        typeof (c as PresenceChange).online === "boolean",
    );
    const reload = frame["reload"] === true;
    for (const handler of this.presenceHandlers) {
      try {
        handler(changes, reload);
      } catch (err) {
        console.warn("presence handler failed", err);
      }
    }
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

  private failPending(reason: string): void {
    for (const waiting of this.pending.values()) waiting.reject(new Error(reason));
    this.pending.clear();
  }
}

/** The one client of this page, started once someone is signed in. */
export const realtime = new RealtimeClient();
