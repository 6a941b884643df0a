// The watch roster (GET/POST /api/duty): who of one's nation is on shift, and taking the watch.
import { effect, signal } from "@preact/signals";
import { api, qs } from "../api";
import { offers } from "../capabilities";
import { realtime } from "../realtime";
import { me } from "../session";

export interface Shift {
  id: number;
  nation: string;
  person_id: number;
  starts_at: string;
  ends_at: string;
}

export const shifts = signal<readonly Shift[] | null>(null);

export async function loadShifts(): Promise<void> {
  const person = me.peek();
  if (!person || !offers("/api/duty")) return;
  shifts.value = await api.get<Shift[]>(`/api/duty${qs({ nation: person.nation })}`);
}

/** Plan a shift; by default the signed-in person takes a twelve-hour watch from now. */
export async function addShift(personId: number, startsAt: Date, endsAt: Date): Promise<void> {
  await api.post("/api/duty", { person_id: personId, starts_at: startsAt.toISOString(), ends_at: endsAt.toISOString() });
  await loadShifts();
}

let started = false;
export function startDuty(): void {
  if (started) return;
  started = true;
  realtime.on("duty", () => void loadShifts().catch(() => undefined));
  effect(() => {
    void realtime.resyncs.value;
    if (me.value) void loadShifts().catch(() => undefined);
  });
}

/** true/false once the roster is known; null when the server keeps none. */
export function isOnDuty(personId: number): boolean | null {
  const list = shifts.value;
  if (list === null) return null;
  const now = Date.now();
  return list.some((s) => s.person_id === personId && Date.parse(s.starts_at) <= now && now < Date.parse(s.ends_at));
}
