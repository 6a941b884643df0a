import { signal } from "@preact/signals";
import { beforeEach, describe, expect, it, vi } from "vitest";

// The server, the live feed and the signed-in person, as the alerts see them.
const server = vi.hoisted(() => ({
  routes: new Map<string, () => Promise<unknown>>(),
  handlers: [] as ((event: unknown) => void)[],
}));
vi.mock("../api", () => ({
  api: { get: (path: string) => server.routes.get(path)!() },
  qs: (params: Record<string, unknown>) =>
    "?" + Object.entries(params).filter(([, v]) => v !== undefined).map(([k, v]) => `${k}=${String(v)}`).join("&"),
}));
vi.mock("../realtime", async () => {
  const { signal } = await import("@preact/signals");
  return { realtime: { on: (_: string, handler: (event: unknown) => void) => server.handlers.push(handler), resyncs: signal(0) } };
});
vi.mock("../session", async () => {
  const { signal } = await import("@preact/signals");
  return { me: signal<{ nation: string } | null>(null) };
});
vi.mock("./directory", () => ({ personName: (id: number) => `person ${id}` }));
vi.mock("./duty", () => ({ shifts: signal([]) }));

import { flashUnacked } from "../alerts";
import { me } from "../session";
import { startChatAlerts, type Message } from "./chat";

function flash(id: number, body: string): Message {
  return {
    id, channel_id: 1, author_id: 7, author_nation: "TUR", precedence: "FLASH", body, version: 1,
    posted_at: `2026-12-07T10:0${id}:00Z`, edited_at: null, retracted_at: null,
    marking: { level: "RESTRICTED", originator: "TUR", releasable_to: ["IRQ"], tlp: "AMBER" } as unknown as Message["marking"],
    attachments: [], owing: ["IRQ"],
  };
}

const ackState = (id: number) => async () => ({
  message_id: id, precedence: "FLASH", deadline: null, may_acknowledge: false, recipients: [],
  nations: [{ nation: "IRQ", status: "pending", acknowledged_by: null, acknowledged_at: null, escalations: 0 }],
});

describe("FLASH alerts", () => {
  beforeEach(() => server.routes.clear());

  it("a FLASH that arrives while the sign-in scan is still reading stays on the banner", async () => {
    let answerHistory!: () => void;
    const historyRead = new Promise<void>((resolve) => (answerHistory = resolve));
    server.routes.set("/api/channels", async () => [{ id: 1 }]);
    // The scan reads the channel before the new FLASH is written: it sees only the old one.
    server.routes.set("/api/channels/1/messages?limit=100", async () => {
      await historyRead;
      return { items: [flash(1, "old FLASH")], next_before: null };
    });
    server.routes.set("/api/messages/1/ack", ackState(1));
    server.routes.set("/api/messages/2/ack", ackState(2));

    startChatAlerts();
    (me as unknown as { value: { nation: string } }).value = { nation: "IRQ" };
    await Promise.resolve();
    for (const handler of server.handlers)
      handler({ kind: "message.posted", payload: flash(2, "new FLASH"), item_id: 2 });
    answerHistory();
    await vi.waitFor(() => expect(flashUnacked.value.map((a) => a.key)).toEqual(["message-2", "message-1"]));
  });
});
