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
  author?: { person_id: number; display_name: string } | null;
  locations?: { object: IntelObject; latitude: number; longitude: number }[];
}

export interface CrossCorrelation {
  id: number;
  kind: string;
  value: string;
  at: string;
  objects: IntelObject[];
}

export interface IntelFilter {
  type?: string;
  originator?: string;
  tlp?: string;
  level?: string;
  q?: string;
}

/** A page of the feed; with a search, how many objects the reader may see are not searchable yet
 * (the full-text index follows the event log after each publish). */
export interface IntelPage {
  items: IntelObject[];
  next: string | null;
  indexing?: { behind: number; message: string } | null;
}

export const intel = {
  list: (f: IntelFilter = {}, before?: string) =>
    api.get<IntelPage>(`/api/intel/objects${qs({ ...f, before, limit: 100 })}`),
  get: (id: number) => api.get<IntelDetail>(`/api/intel/objects/${id}`),
  publish: (objects: Record<string, unknown>[], marking: MarkingInput) =>
    api.post<{ items: IntelObject[] }>("/api/intel/objects", { objects, marking }),
  revoke: (id: number) => api.post<void>(`/api/intel/objects/${id}/revoke`),
  setRelease: (id: number, marking: MarkingInput) => api.put<void>(`/api/intel/objects/${id}/release`, marking),
  correlations: () => api.get<CrossCorrelation[]>("/api/intel/correlations"),
};

/** Everything the reader may see, as one STIX 2.1 bundle (a download, not a fetch). */
export const EXPORT_URL = "/api/intel/export";

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
