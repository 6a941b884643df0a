// Channels and messages (concord/api/messages.py): types, calls, and the FLASH/IMMEDIATE alerts
// that stay on screen until one's nation has acknowledged them.
import { effect, signal } from "@preact/signals";
import { api, qs } from "../api";
import { setAlerts, type Alert } from "../alerts";
import type { MarkingInput } from "../components/MarkingPicker";
import type { Marking } from "../markings";
import { realtime, type RealtimeEvent } from "../realtime";
import { me } from "../session";
import { personName } from "./directory";
import { shifts } from "./duty";

export const PRECEDENCES = ["FLASH", "IMMEDIATE", "PRIORITY", "ROUTINE"] as const;
export type Precedence = (typeof PRECEDENCES)[number];

export interface Channel {
  id: number;
  kind: string;
  name: string;
  nation: string | null;
  subject_id: string | null;
  members: number[];
  max_marking: Marking;
  unread: number;
}

export interface Attachment {
  number: number;
  filename: string;
  content_type: string;
  size: number;
  sha256: string;
}

/** Where an attachment is downloaded (the server applies the message's releasability). */
export function attachmentUrl(messageId: number, number: number): string {
  return `/api/messages/${messageId}/attachments/${number}`;
}

export interface Message {
  id: number;
  channel_id: number;
  author_id: number;
  author_nation: string;
  precedence: Precedence;
  body: string;
  version: number;
  posted_at: string;
  edited_at: string | null;
  retracted_at: string | null;
  marking: Marking;
  attachments: Attachment[];
  owing?: string[];
  ack_deadline?: string | null;
  /** Whether the reader may acknowledge it now (the server's answer; only then is it offered). */
  may_acknowledge?: boolean;
}

export interface AckState {
  message_id: number;
  precedence: string;
  deadline: string | null;
  nations: { nation: string; status: string; acknowledged_by: number | null; acknowledged_at: string | null; escalations: number }[];
  recipients: { person_id: number; nation: string | null; delivered: boolean; read: boolean; acknowledged: boolean }[];
  may_acknowledge?: boolean;
}

export const chat = {
  channels: () => api.get<Channel[]>("/api/channels"),
  history: (channelId: number, before?: number) =>
    api.get<{ items: Message[]; next_before: number | null }>(`/api/channels/${channelId}/messages${qs({ before, limit: 100 })}`),
  post: (channelId: number, body: string, precedence: Precedence, marking: MarkingInput, files: readonly File[] = []) => {
    if (files.length === 0) return api.post<Message>(`/api/channels/${channelId}/messages`, { body, precedence, marking });
    // The message and its files go in one request, written by the server in one transaction.
    const form = new FormData();
    form.append("message", JSON.stringify({ body, precedence, marking }));
    for (const file of files) form.append("files", file, file.name);
    return api.post<Message>(`/api/channels/${channelId}/messages/with-attachments`, form);
  },
  ack: (messageId: number) => api.post<unknown>(`/api/messages/${messageId}/ack`),
  ackState: (messageId: number) => api.get<AckState>(`/api/messages/${messageId}/ack`),
  read: (messageId: number) => api.post<void>(`/api/messages/${messageId}/read`),
  edit: (messageId: number, body: string) => api.patch<Message>(`/api/messages/${messageId}`, { body }),
  retract: (messageId: number) => api.del<Message>(`/api/messages/${messageId}`),
  search: (q: string) => api.get<Message[]>(`/api/messages/search${qs({ q })}`),
};

/** Messages my nation still owes an acknowledgement for, by id. */
const owed = signal<ReadonlyMap<number, Message>>(new Map());

function isAckStatusDone(status: string): boolean {
  return status === "acknowledged" || status === "done";
}

export async function acknowledge(message: Message): Promise<void> {
  await chat.ack(message.id);
  settle(message.id);
}

/** My nation owes this message an acknowledgement (as of now). */
function owe(message: Message): void {
  for (const journal of journals) journal.owed.set(message.id, message);
  owed.value = new Map(owed.peek()).set(message.id, message);
}

/** My nation has acknowledged this message. */
function settle(id: number): void {
  for (const journal of journals) {
    journal.owed.delete(id);
    journal.settled.add(id);
  }
  const next = new Map(owed.peek());
  next.delete(id);
  owed.value = next;
}

/** What live events changed while a scan was reading: the scan's answer was read before them, so
 * they are laid over it (otherwise a FLASH arriving mid-scan would vanish from the banner). */
interface Journal {
  owed: Map<number, Message>;
  settled: Set<number>;
}
const journals = new Set<Journal>();

/** At sign-in: find FLASH/IMMEDIATE traffic my nation has not acknowledged yet. */
async function scan(): Promise<void> {
  const nation = me.peek()?.nation;
  if (!nation) return;
  const journal: Journal = { owed: new Map(), settled: new Set() };
  journals.add(journal);
  try {
    const found = await owedNow(nation);
    for (const id of journal.settled) found.delete(id);
    for (const [id, m] of journal.owed) found.set(id, m);
    owed.value = found;
  } finally {
    journals.delete(journal);
  }
}

async function owedNow(nation: string): Promise<Map<number, Message>> {
  const found = new Map<number, Message>();
  const channels = await chat.channels();
  for (const channel of channels) {
    const page = await chat.history(channel.id);
    const urgent = page.items.filter(
      (m) => (m.precedence === "FLASH" || m.precedence === "IMMEDIATE") && m.author_nation !== nation && !m.retracted_at,
    );
    for (const m of urgent) {
      const state = await chat.ackState(m.id);
      const mine = state.nations.find((n) => n.nation === nation);
      if (mine && !isAckStatusDone(mine.status) && !mine.acknowledged_at)
        found.set(m.id, { ...m, ack_deadline: state.deadline, may_acknowledge: state.may_acknowledge ?? true });
    }
  }
  return found;
}

function onEvent(event: RealtimeEvent): void {
  const nation = me.peek()?.nation;
  if (!nation) return;
  const payload = event.payload;
  if (event.kind === "message.posted") {
    const m = payload as unknown as Message;
    if ((m.owing ?? []).includes(nation) && m.author_nation !== nation) {
      owe({ ...m, may_acknowledge: false });
      void refreshMayAcknowledge([m.id]).catch(() => undefined);
    }
  } else if (event.kind === "message.acknowledged") {
    const id = Number(payload["message_id"] ?? event.item_id);
    if (payload["nation"] === nation || payload["nation"] === undefined) {
      settle(id);
    }
  }
}

/** Ask the server again whether the reader may acknowledge (on arrival, and when the roster changes). */
async function refreshMayAcknowledge(ids: readonly number[]): Promise<void> {
  for (const id of ids) {
    const state = await chat.ackState(id);
    const m = owed.peek().get(id);
    if (m && m.may_acknowledge !== state.may_acknowledge) owe({ ...m, may_acknowledge: state.may_acknowledge ?? true });
  }
}

let started = false;
/** Start tracking (once someone is signed in); missing messaging on the server leaves no alerts. */
export function startChatAlerts(): void {
  if (started) return;
  started = true;
  realtime.on("message", onEvent);
  effect(() => {
    void realtime.resyncs.value;
    if (me.value) scan().catch(() => undefined);
    else owed.value = new Map();
  });
  // Taking (or ending) the watch changes who may acknowledge.
  effect(() => {
    void shifts.value;
    if (me.peek()) void refreshMayAcknowledge([...owed.peek().keys()]).catch(() => undefined);
  });
  effect(() => {
    const alerts: Alert[] = [...owed.value.values()].map((m) => ({
      key: `message-${m.id}`,
      kind: m.precedence === "FLASH" ? "flash" : "immediate",
      title: `${m.author_nation} · ${personName(m.author_id)}: ${m.body.slice(0, 140)}`,
      at: m.posted_at,
      marking: m.marking,
      acknowledged: false,
      href: `/chat/${m.channel_id}`,
      acknowledge: m.may_acknowledge ? () => acknowledge(m) : undefined,
    }));
    setAlerts("chat", alerts);
  });
}
