// Who is online: the GET /api/presence snapshot after every (re)connect, kept current by the
// WebSocket's `presence` frames (ephemeral: not in the event log, so not resent on resume).
import { effect, signal } from "@preact/signals";
import { api } from "../api";
import { offers } from "../capabilities";
import { realtime, type PresenceChange } from "../realtime";
import { me } from "../session";

interface OnlineRow {
  person_id: number;
  connections: number;
  since: string;
}

/** Ids of the people online now (as far as this person may know); null until the first snapshot. */
export const online = signal<ReadonlySet<number> | null>(null);

// Changes that arrive while a snapshot is on its way are applied on top of it, in order.
let loading = 0;
let arrived: PresenceChange[] = [];

function apply(base: ReadonlySet<number>, changes: readonly PresenceChange[]): ReadonlySet<number> {
  const next = new Set(base);
  for (const c of changes) {
    if (c.online) next.add(c.person_id);
    else next.delete(c.person_id);
  }
  return next;
}

export async function loadPresence(): Promise<void> {
  if (!me.peek() || !offers("/api/presence")) return;
  const mine = ++loading;
  arrived = [];
  try {
    const rows = await api.get<OnlineRow[]>("/api/presence");
    if (mine !== loading) return; // a newer snapshot is on its way
    online.value = apply(new Set(rows.map((r) => r.person_id)), arrived);
  } finally {
    if (mine === loading) {
      loading = 0;
      arrived = [];
    }
  }
}

export function applyPresence(changes: readonly PresenceChange[], reload: boolean): void {
  if (reload) {
    void loadPresence().catch(() => undefined);
    return;
  }
  if (loading) arrived.push(...changes);
  const current = online.peek();
  if (current) online.value = apply(current, changes);
}

let started = false;
export function startPresence(): void {
  if (started) return;
  started = true;
  realtime.onPresence(applyPresence);
  effect(() => {
    void realtime.welcomes.value;
    if (me.value) void loadPresence().catch(() => undefined);
    else online.value = null; // signed out: the next person's view starts afresh
  });
}

/** true/false once known; null before the first snapshot (or when the server keeps none). */
export function isOnline(personId: number): boolean | null {
  const set = online.value;
  return set === null ? null : set.has(personId);
}
