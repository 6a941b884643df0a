// Joint operations (concord/api/operations.py, conflicts.py, sites.py): types, calls and map layers.
import { siteKindName } from "../codes";
import type { Geometry, Polygon } from "geojson";
import { api, qs } from "../api";
import { tk } from "../i18n";
import { LAYER_LABELS, registerLayer, type MapItem } from "../map/layers";
import type { Marking } from "../markings";

export const STATUSES = ["draft", "proposed", "approved", "active", "completed", "cancelled"] as const;
export type OperationStatus = (typeof STATUSES)[number];

export const STATUS_KEYS: Record<OperationStatus, string> = {
  draft: tk("ops.status.draft"),
  proposed: tk("ops.status.proposed"),
  approved: tk("ops.status.approved"),
  active: tk("ops.status.active"),
  completed: tk("ops.status.completed"),
  cancelled: tk("ops.status.cancelled"),
};

/** Operation areas coloured by status. */
export const STATUS_COLOURS: Record<OperationStatus, string> = {
  draft: "#8798a9",
  proposed: "#e3a008",
  approved: "#3fb950",
  active: "#4aa3ff",
  completed: "#6e7781",
  cancelled: "#6e7781",
};

export interface Window {
  starts_at: string;
  ends_at: string;
}

export interface Plan {
  name: string;
  objective: string;
  lead_nation: string;
  participants: string[];
  area: Geometry;
  window: Window;
  phases: { name: string; window: Window; area: Geometry | null }[];
  forces: { nation: string; name: string; sidc: string; phases: string[] }[];
  tasks: { title: string; owner_nation: string; due_at: string; status: string; phase: string | null }[];
  links: { kind: string; ref: string }[];
}

export interface Approval {
  nation: string;
  person_id: number;
  version: number;
  decision: "approved" | "rejected";
  reason: string | null;
  at: string;
}

export interface Operation {
  id: number;
  status: OperationStatus;
  version: number;
  marking: Marking;
  plan: Plan;
  approvals: Approval[];
  pending_nations: string[];
  blocking_conflicts: number;
  updated_at: string;
}

export interface OperationSummary {
  id: number;
  name: string;
  status: OperationStatus;
  version: number;
  lead_nation: string;
  participants: string[];
  starts_at: string;
  ends_at: string;
}

export interface Conflict {
  conflict_id: number;
  status: "open" | "acknowledged" | "resolved";
  /** Nations concerned that have not yet cleared it (overridden or resolved) for themselves. */
  awaiting_nations?: string[];
  overlap: Geometry;
  area_m2: number;
  starts_at: string | null;
  ends_at: string | null;
  restricted: boolean;
  /** Full view (both sides visible). */
  sides?: { item: string; name: string }[];
  overrides?: { item: string; version: number; person_id: number; nation: string; justification: string; at: string }[];
  steps?: { status?: string; note?: string; person_id?: number; nation?: string; at: string }[];
  /** Restricted view (only one side visible). */
  your_item?: string;
  other_side?: string;
  contact?: string;
}

export interface Site {
  id: number;
  kind: string;
  name: string;
  geometry: Geometry;
  buffer_m: number;
  starts_at: string | null;
  ends_at: string | null;
  notes: string;
  status: string;
  marking: Marking;
}

export interface OperationInput {
  name: string;
  objective: string;
  participants: string[];
  marking?: { level: string; releasable_to: string[]; tlp: string; caveats: string[] };
  area: Polygon;
  window: Window;
  phases: { name: string; window: Window }[];
  tasks: { title: string; owner_nation: string; due_at: string; phase: string | null }[];
}

/** One item an unsaved plan would overlap (only items the reader may see are ever answered). */
export interface DraftOverlap {
  item: string;
  kind: "operation" | "site" | "activity";
  name: string;
  overlap: Geometry;
  area_m2: number;
  distance_m: number;
  starts_at: string | null;
  ends_at: string | null;
}

export interface DraftCheck {
  area: Polygon;
  window: Window;
  operation_id?: number;
}

export interface SyncMatrix {
  nations: string[];
  window: Window;
  rows: {
    phase: string;
    starts_at: string | null;
    ends_at: string | null;
    cells: Record<string, { forces: { name: string; sidc: string }[]; tasks: { title: string; due_at: string; status: string }[] }>;
  }[];
}

export const operations = {
  list: (status?: string) => api.get<OperationSummary[]>(`/api/operations${qs({ status })}`),
  get: (id: number) => api.get<Operation>(`/api/operations/${id}`),
  create: (body: OperationInput) => api.post<Operation>("/api/operations", body),
  update: (id: number, body: OperationInput) => api.put<Operation>(`/api/operations/${id}`, body),
  propose: (id: number) => api.post<Operation>(`/api/operations/${id}/propose`),
  approve: (id: number, version: number, override_justification?: string) =>
    api.post<Operation>(`/api/operations/${id}/approve`, { version, override_justification }),
  reject: (id: number, version: number, reason: string) => api.post<Operation>(`/api/operations/${id}/reject`, { version, reason }),
  activate: (id: number) => api.post<Operation>(`/api/operations/${id}/activate`),
  complete: (id: number) => api.post<Operation>(`/api/operations/${id}/complete`),
  cancel: (id: number, reason: string) => api.post<Operation>(`/api/operations/${id}/cancel`, { reason }),
  conflicts: (id: number) => api.get<Conflict[]>(`/api/operations/${id}/conflicts`),
  versions: (id: number) =>
    api.get<{ version: number; plan: Record<string, unknown>; created_by: number; created_at: string }[]>(`/api/operations/${id}/versions`),
  matrix: (id: number) => api.get<SyncMatrix>(`/api/operations/${id}/sync-matrix`),
  previewDraft: (body: DraftCheck) => api.post<DraftOverlap[]>("/api/operations/deconfliction-preview", body),
};

export const conflicts = {
  list: (status?: string) => api.get<Conflict[]>(`/api/conflicts${qs({ status })}`),
  acknowledge: (id: number, note: string) => api.post<Conflict>(`/api/conflicts/${id}/acknowledge`, { note }),
  resolve: (id: number, note: string) => api.post<Conflict>(`/api/conflicts/${id}/resolve`, { note }),
  override: (id: number, operation_id: number, justification: string) =>
    api.post<Conflict>(`/api/conflicts/${id}/override`, { operation_id, justification }),
};

/** "operation:12" → 12 (conflict sides name items by key). */
export function operationIdOf(key: string | undefined): number | null {
  const m = /^operation[:/-](\d+)$/.exec(key ?? "");
  return m ? Number(m[1]) : null;
}

function activeAt(window: { starts_at: string | null; ends_at: string | null }, at: Date | null): boolean {
  if (!at) return true;
  const start = window.starts_at ? Date.parse(window.starts_at) : -Infinity;
  const end = window.ends_at ? Date.parse(window.ends_at) : Infinity;
  return start <= at.getTime() && at.getTime() < end;
}

registerLayer({
  id: "operations",
  path: "/api/operations",
  label: LAYER_LABELS.operations,
  color: STATUS_COLOURS.active,
  events: ["operation"],
  async load(at) {
    const list = (await operations.list()).filter((o) => o.status !== "cancelled" && activeAt(o, at));
    const full = await Promise.all(list.map((o) => operations.get(o.id).catch(() => null)));
    return full
      .filter((o): o is Operation => o !== null)
      .map(
        (o): MapItem => ({
          key: `operation-${o.id}`,
          title: o.plan.name,
          subtitle: `${o.plan.lead_nation} · ${o.plan.participants.join(", ")} · v${o.version}`,
          geometry: o.plan.area,
          marking: o.marking,
          at: o.plan.window.starts_at,
          color: STATUS_COLOURS[o.status],
          dashed: o.status === "draft" || o.status === "proposed",
          href: `/operations/${o.id}`,
        }),
      );
  },
});

registerLayer({
  id: "conflicts",
  path: "/api/conflicts",
  label: LAYER_LABELS.conflicts,
  color: "#c678dd",
  events: ["conflict", "operation"],
  async load(at) {
    const list = (await conflicts.list()).filter((c) => c.status !== "resolved" && activeAt(c, at));
    return list.map(
      (c): MapItem => ({
        key: `conflict-${c.conflict_id}`,
        title: c.sides ? c.sides.map((s) => s.name).join(" ⟷ ") : (c.other_side ?? ""),
        subtitle: c.status,
        geometry: c.overlap,
        marking: null,
        at: c.starts_at ?? undefined,
        color: "#e040fb",
        href: operationIdOf(c.sides?.[0]?.item ?? c.your_item) ? `/operations/${operationIdOf(c.sides?.[0]?.item ?? c.your_item)}` : undefined,
      }),
    );
  },
});

registerLayer({
  id: "sites",
  path: "/api/sites",
  label: LAYER_LABELS.sites,
  color: "#00bcd4",
  events: ["site"],
  async load(at) {
    const list = (await api.get<Site[]>("/api/sites")).filter((s) => s.status !== "retired" && activeAt(s, at));
    return list.map(
      (s): MapItem => ({
        key: `site-${s.id}`,
        title: s.name,
        subtitle: `${siteKindName(s.kind)} · ${Math.round(s.buffer_m)} m`,
        geometry: s.geometry,
        marking: s.marking,
        color: "#00bcd4",
      }),
    );
  },
});
