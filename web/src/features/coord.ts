// Incidents and RFIs (concord/api/incidents.py, rfis.py): types, calls, the incidents map layer and
// the overdue-RFI alerts.
import type { Geometry } from "geojson";
import { effect } from "@preact/signals";
import { api, qs } from "../api";
import { setAlerts } from "../alerts";
import { offers } from "../capabilities";
import type { MarkingInput } from "../components/MarkingPicker";
import { tk } from "../i18n";
import { LAYER_LABELS, registerLayer, type MapItem } from "../map/layers";
import type { Marking } from "../markings";
import { realtime } from "../realtime";
import { me } from "../session";

export interface TimelineEntry {
  at: string;
  nation: string;
  person_id: number | null;
  kind: string;
  text: string;
}

export interface Incident {
  id: number;
  reporter: string;
  category: string;
  category_label: string | null;
  title: string;
  description: string;
  location: Geometry;
  occurred_from: string;
  occurred_until: string | null;
  counts: Record<string, number>;
  partners: string[];
  status: "reported" | "acknowledged" | "under_investigation" | "closed";
  acknowledged_by: string[];
  awaiting_acknowledgement: string[];
  /** Each concerned nation's person in charge of the incident (its own choice). */
  assignees: Record<string, number>;
  closing_note: string;
  reported_at: string;
  version: number;
  marking: Marking;
  timeline: TimelineEntry[] | null;
}

export const INCIDENT_STATUS_KEYS: Record<Incident["status"], string> = {
  reported: tk("incident.status.reported"),
  acknowledged: tk("incident.status.acknowledged"),
  under_investigation: tk("incident.status.under_investigation"),
  closed: tk("incident.status.closed"),
};

export interface Category {
  code: string;
  names: Record<string, string>;
}

export interface Rfi {
  id: number;
  requester: string;
  recipients: string[];
  subject: string;
  question: string;
  priority: "urgent" | "high" | "routine" | "low";
  ltiov: string;
  ceiling: string;
  status: "submitted" | "accepted" | "rejected" | "answered" | "closed" | "withdrawn";
  overdue: boolean;
  submitted_at: string;
  ended_at: string | null;
  taskings: { nation: string; status: string; responded_at: string | null; reason: string; first_answer_at: string | null }[];
  answers: { nation: string; person_id: number | null; at: string; text: string; marking: Marking }[];
  version: number;
  marking: Marking;
}

export const RFI_STATUS_KEYS: Record<Rfi["status"], string> = {
  submitted: tk("rfi.status.submitted"),
  accepted: tk("rfi.status.accepted"),
  rejected: tk("rfi.status.rejected"),
  answered: tk("rfi.status.answered"),
  closed: tk("rfi.status.closed"),
  withdrawn: tk("rfi.status.withdrawn"),
};

export const PRIORITY_KEYS: Record<Rfi["priority"], string> = {
  urgent: tk("rfi.priority.urgent"),
  high: tk("rfi.priority.high"),
  routine: tk("rfi.priority.routine"),
  low: tk("rfi.priority.low"),
};

export const incidents = {
  categories: () => api.get<Category[]>("/api/incident-categories"),
  list: (open?: boolean) => api.get<Incident[]>(`/api/incidents${qs({ open })}`),
  get: (id: number) => api.get<Incident>(`/api/incidents/${id}`),
  report: (body: {
    category: string; title: string; description: string; location: Geometry; occurred_from: string;
    counts: Record<string, number>; marking: MarkingInput; partners: string[];
  }) => api.post<Incident>("/api/incidents", body),
  acknowledge: (id: number) => api.post<Incident>(`/api/incidents/${id}/acknowledge`),
  investigate: (id: number) => api.post<Incident>(`/api/incidents/${id}/investigate`),
  close: (id: number, note: string) => api.post<Incident>(`/api/incidents/${id}/close`, { note }),
  comment: (id: number, text: string) => api.post<Incident>(`/api/incidents/${id}/comments`, { text }),
};

export const rfis = {
  list: (box: "inbox" | "outbox" | "all") => api.get<Rfi[]>(`/api/rfis${qs({ box })}`),
  get: (id: number) => api.get<Rfi>(`/api/rfis/${id}`),
  submit: (body: { recipients: string[]; subject: string; question: string; priority: string; ltiov: string; marking: MarkingInput }) =>
    api.post<{ rfi: Rfi; possible_duplicates: { rfi_id: number; subject: string; score: number }[] }>("/api/rfis", body),
  accept: (id: number) => api.post<Rfi>(`/api/rfis/${id}/accept`),
  reject: (id: number, reason: string) => api.post<Rfi>(`/api/rfis/${id}/reject`, { reason }),
  answer: (id: number, text: string, marking: MarkingInput) => api.post<Rfi>(`/api/rfis/${id}/answers`, { text, marking }),
  close: (id: number) => api.post<Rfi>(`/api/rfis/${id}/close`),
  withdraw: (id: number) => api.post<Rfi>(`/api/rfis/${id}/withdraw`),
};

registerLayer({
  id: "incidents",
  path: "/api/incidents",
  label: LAYER_LABELS.incidents,
  color: "#ff7043",
  events: ["incident"],
  async load(at) {
    const list = (await incidents.list()).filter(
      (i) => !at || (Date.parse(i.occurred_from) <= at.getTime() && (!i.occurred_until || at.getTime() <= Date.parse(i.occurred_until) + 86400_000 * 7)),
    );
    return list.map(
      (i): MapItem => ({
        key: `incident-${i.id}`,
        title: i.title,
        subtitle: `${i.reporter} · ${i.category_label ?? i.category}`,
        geometry: i.location,
        marking: i.marking,
        at: i.occurred_from,
        color: i.status === "closed" ? "#8798a9" : "#ff7043",
        href: `/incidents/${i.id}`,
      }),
    );
  },
});

/** RFIs to my nation past their latest time of information value go to the alert rail. */
async function scanOverdue(): Promise<void> {
  const inbox = await rfis.list("inbox");
  const mine = me.peek()?.nation;
  setAlerts(
    "rfis",
    inbox
      .filter((r) => r.overdue && r.taskings.some((x) => x.nation === mine && x.status !== "answered" && x.status !== "rejected"))
      .map((r) => ({
        key: `rfi-${r.id}`,
        kind: "rfi_overdue" as const,
        title: `${r.requester}: ${r.subject}`,
        at: r.ltiov,
        marking: r.marking,
        acknowledged: false,
        href: `/incidents/rfi/${r.id}`,
      })),
  );
}

let started = false;
export function startRfiAlerts(): void {
  if (started || !offers("/api/rfis")) return;
  started = true;
  realtime.on("rfi", () => void scanOverdue().catch(() => undefined));
  effect(() => {
    void realtime.resyncs.value;
    if (me.value) void scanOverdue().catch(() => undefined);
  });
  // Deadlines pass without any event: look again every minute.
  setInterval(() => void (me.peek() && scanOverdue().catch(() => undefined)), 60_000);
}
