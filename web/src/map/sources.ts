// The centre's own map data (GET /api/map-sources): tile archives served by this server and
// on-premises tile servers, offered as base layers beside the built-in one. The choice is the
// reader's, kept in this browser; a source that is gone falls back to the built-in map.
import { effect, signal } from "@preact/signals";
import { api } from "../api";

export interface MapSource {
  id: number;
  name: string;
  kind: "mbtiles" | "pmtiles" | "xyz";
  tile_format: string;
  min_zoom: number;
  max_zoom: number;
  bounds: [west: number, south: number, east: number, north: number] | null;
  attribution: string;
  tile_url: string;
  size: number;
  nation: string;
  added_at: string;
}

export const BUILT_IN = "built-in";

export const mapSources = signal<readonly MapSource[]>([]);
/** "built-in" or a source's id (as text: what localStorage keeps). */
const stored = typeof localStorage === "undefined" ? null : localStorage; // absent in unit tests
export const baseChoice = signal<string>(stored?.getItem("concord.base") ?? BUILT_IN);
effect(() => stored?.setItem("concord.base", baseChoice.value));

export async function loadMapSources(): Promise<void> {
  try {
    mapSources.value = await api.get<MapSource[]>("/api/map-sources");
  } catch {
    mapSources.value = []; // the built-in map is always there
  }
}

/** The source the reader chose, if it still exists. */
export function chosenSource(sources: readonly MapSource[], choice: string): MapSource | null {
  return choice === BUILT_IN ? null : sources.find((s) => String(s.id) === choice) ?? null;
}
