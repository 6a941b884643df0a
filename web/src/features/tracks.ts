// Field tracks and map points from TAK clients (concord/api/tracks.py), drawn with MIL-STD-2525 symbols.
import { api } from "../api";
import { LAYER_LABELS, registerLayer, type MapItem } from "../map/layers";
import { cotTypeToSidc, genericSidc } from "../map/sidc";
import type { Marking } from "../markings";

interface Track {
  uid: string;
  callsign: string;
  cot_type: string;
  sidc: string | null;
  lat: number;
  lon: number;
  speed: number | null;
  course: number | null;
  time: string;
  stale: string;
  group: string | null;
  marking: Marking;
}

interface MapPoint {
  uid: string;
  kind: string;
  cot_type: string;
  sidc: string | null;
  title: string;
  lat: number;
  lon: number;
  remarks: string;
  time: string;
  marking: Marking;
}

/** A letter SIDC milsymbol can draw (the server's when it gave one, else from the CoT type). */
function sidcFor(sidc: string | null, cotType: string): string {
  if (sidc && /^[A-Z*-]{10,15}$/.test(sidc)) return sidc;
  return cotTypeToSidc(cotType) ?? genericSidc("unknown");
}

registerLayer({
  id: "tracks",
  path: "/api/tracks",
  label: LAYER_LABELS.tracks,
  color: "#80e0ff",
  events: ["track", "map_point", "cot"],
  async load(at) {
    // Live positions only: the past picture of tracks would need each track's history.
    if (at) return [];
    const [tracks, points] = await Promise.all([
      api.get<Track[]>("/api/tracks"),
      api.get<MapPoint[]>("/api/map-points").catch(() => [] as MapPoint[]),
    ]);
    return [
      ...tracks.map(
        (tr): MapItem => ({
          key: `track-${tr.uid}`,
          title: tr.callsign,
          subtitle: [tr.group, tr.speed !== null ? `${Math.round(tr.speed * 3.6)} km/h` : null, tr.course !== null ? `${Math.round(tr.course)}°` : null]
            .filter(Boolean)
            .join(" · "),
          geometry: { type: "Point", coordinates: [tr.lon, tr.lat] },
          marking: tr.marking,
          at: tr.time,
          sidc: sidcFor(tr.sidc, tr.cot_type),
          label: tr.callsign,
        }),
      ),
      ...points.map(
        (p): MapItem => ({
          key: `point-${p.uid}`,
          title: p.title,
          subtitle: p.remarks,
          geometry: { type: "Point", coordinates: [p.lon, p.lat] },
          marking: p.marking,
          at: p.time,
          sidc: sidcFor(p.sidc, p.cot_type),
        }),
      ),
    ];
  },
});
