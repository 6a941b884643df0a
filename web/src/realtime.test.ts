// The WebSocket client's handling of presence frames (ephemeral, no cursor) beside events.
import { beforeAll, describe, expect, it } from "vitest";
import type { PresenceChange, RealtimeClient as Client } from "./realtime";

class MemoryStorage {
  private items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
  removeItem(key: string): void {
    this.items.delete(key);
  }
}

/** The server's end of one connection: frames are handed to the client as the browser would. */
class ServerEnd {
  onopen: (() => void) | null = null;
  onmessage: ((m: { data: string }) => void) | null = null;
  onclose: ((c: { code: number }) => void) | null = null;
  onerror: (() => void) | null = null;
  sent: Record<string, unknown>[] = [];
  send(text: string): void {
    this.sent.push(JSON.parse(text) as Record<string, unknown>);
  }
  close(): void {
    this.onclose?.({ code: 1000 });
  }
  push(frame: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }
}

let RealtimeClient: typeof Client;

beforeAll(async () => {
  // realtime.ts makes the page's client when loaded; give it what a browser page has.
  Object.assign(globalThis, { location: { protocol: "http:", host: "concord.test" }, sessionStorage: new MemoryStorage() });
  ({ RealtimeClient } = await import("./realtime"));
});

function connected(): { client: Client; server: ServerEnd } {
  const server = new ServerEnd();
  const client = new RealtimeClient({ storage: new MemoryStorage(), socketFactory: () => server as unknown as WebSocket });
  client.start();
  server.onopen?.();
  server.push({ type: "welcome", resume_from: 10, latest: 10 });
  return { client, server };
}

describe("presence frames", () => {
  it("reach presence handlers, not event handlers, and never move the resume cursor", () => {
    const { client, server } = connected();
    const seen: [PresenceChange[], boolean][] = [];
    const events: number[] = [];
    client.onPresence((changes, reload) => seen.push([changes, reload]));
    client.on("*", (e) => events.push(e.id));
    server.push({ type: "presence", changes: [{ person_id: 7, nation: "IRQ", online: true }, { bad: 1 }] });
    server.push({ type: "presence", changes: [], reload: true });
    server.push({ type: "event", cursor: 11, event: { id: 11, kind: "message.posted", item_type: "message", item_id: 1, marking: null, payload: {} } });
    expect(seen).toEqual([
      [[{ person_id: 7, nation: "IRQ", online: true }], false],
      [[], true],
    ]);
    expect(events).toEqual([11]);
    expect(client.welcomes.value).toBe(1);
    server.close();
    client.stop();
  });

  it("count every welcome, a resumed connection's too, so the snapshot is taken again", () => {
    const { client, server } = connected();
    expect(client.resyncs.value).toBe(1);
    server.push({ type: "welcome", resume_from: 10, latest: 12 });
    expect(client.welcomes.value).toBe(2);
    expect(client.resyncs.value).toBe(1); // a resume is not a fresh start
    client.stop();
  });
});

describe("delivery receipts", () => {
  it("confirm what the tab holds, once per burst, with the ids held ahead of the cursor", async () => {
    const { client, server } = connected();
    const event = (id: number, cursor: number) => ({
      type: "event", cursor, event: { id, kind: "message.posted", item_type: "message", item_id: id, marking: null, payload: {} },
    });
    server.push(event(13, 10)); // FLASH ahead of its turn
    server.push(event(11, 11));
    expect(server.sent.filter((f) => f["type"] === "received")).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.sent.filter((f) => f["type"] === "received")).toEqual([
      { type: "received", last_event_id: 11, received_after: [13] },
    ]);
    client.stop();
  });
});
