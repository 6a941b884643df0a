// Intelligence (concord/api/intel.py): STIX 2.1 objects with markings; list, search, detail, publish.
import { api, qs } from "../api";
import { LAYER_LABELS, registerLayer, type MapItem } from "../map/layers";
import type { MarkingInput } from "../components/MarkingPicker";
import type { Marking } from "../markings";

export interface IntelObject {
  id: number;
  stix_id: string;
  type: string;
  title: string;
  revoked: boolean;
  version: string;
  first_added: string;
  marking: Marking;
}

export interface IntelDetail {
  object: IntelObject;
  stix: Record<string, unknown>;
  versions: { version: string; date_added: string; stix: Record<string, unknown> }[];
  relationships: IntelObject[];
  correlations: { id: number; kind: string; value: string; at: string; other: IntelObject }[];
}

export interface IntelFilter {
  type?: string;
  originator?: string;
  tlp?: string;
  level?: string;
  q?: string;
}

export const intel = {
  list: (f: IntelFilter = {}, before?: string) =>
    api.get<{ items: IntelObject[]; next: string | null }>(`/api/intel/objects${qs({ ...f, before, limit: 100 })}`),
  get: (id: number) => api.get<IntelDetail>(`/api/intel/objects/${id}`),
  publish: (objects: Record<string, unknown>[], marking: MarkingInput) =>
    api.post<{ items: IntelObject[]; correlations: number }>("/api/intel/objects", { objects, marking }),
};

/** A random (version 4) UUID for STIX ids; works outside secure contexts too. */
export function uuid4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export interface ReportDraft {
  name: string;
  description: string;
  latitude: number;
  longitude: number;
  placeName: string;
}

/** A STIX 2.1 report and the location it is about (a report refers to at least one object). */
export function reportObjects(d: ReportDraft, now = new Date()): Record<string, unknown>[] {
  const time = now.toISOString();
  const location = {
    type: "location", spec_version: "2.1", id: `location--${uuid4()}`, created: time, modified: time,
    name: d.placeName || d.name, latitude: d.latitude, longitude: d.longitude,
  };
  const report = {
    type: "report", spec_version: "2.1", id: `report--${uuid4()}`, created: time, modified: time,
    name: d.name, description: d.description, published: time, report_types: ["threat-report"],
    object_refs: [location.id],
  };
  return [report, location];
}

registerLayer({
  id: "intel",
  path: "/api/intel/objects",
  label: LAYER_LABELS.intel,
  color: "#ffd33d",
  events: ["intel"],
  async load(at) {
    const page = await intel.list({ type: "location" });
    const visible = page.items.filter((o) => !o.revoked && (!at || Date.parse(o.first_added) <= at.getTime()));
    const details = await Promise.all(visible.slice(0, 200).map((o) => intel.get(o.id).catch(() => null)));
    return details
      .filter((d): d is IntelDetail => d !== null && typeof d.stix["latitude"] === "number")
      .map(
        (d): MapItem => ({
          key: `intel-${d.object.id}`,
          title: d.object.title,
          subtitle: `${d.object.marking.originator} · STIX ${d.object.type}`,
          geometry: { type: "Point", coordinates: [Number(d.stix["longitude"]), Number(d.stix["latitude"])] },
          marking: d.object.marking,
          at: d.object.first_added,
          color: "#ffd33d",
          href: `/intel/${d.object.id}`,
        }),
      );
  },
});
