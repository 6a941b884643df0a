// The operating picture's layers. Each layer knows how to load its items as they stood at a moment
// (null = now) and which event kinds make it stale. Feature modules contribute loaders here.
import type { Geometry } from "geojson";
import { ApiError } from "../api";
import { tk } from "../i18n";
import type { Marking } from "../markings";

export interface MapItem {
  key: string;
  title: string;
  subtitle?: string;
  geometry: Geometry;
  marking: Marking | null;
  /** ISO time shown in the popup (report time, last position, start of window). */
  at?: string;
  /** Stroke/fill colour for areas and plain points. */
  color?: string;
  /** MIL-STD-2525 SIDC for point symbols. */
  sidc?: string;
  /** A short designation written beside a symbol. */
  label?: string;
  href?: string;
  /** Dashed outline (e.g. an area still under approval). */
  dashed?: boolean;
}

export type LayerStatus = "ok" | "loading" | "unavailable" | "error";

export interface LayerSpec {
  id: string;
  /** The API path the layer reads (checked against the server's OpenAPI document). */
  path: string;
  label: string;
  /** Legend colour. */
  color: string;
  /** Event kinds (or their prefixes) after which the layer reloads. */
  events: readonly string[];
  load(at: Date | null): Promise<MapItem[]>;
}

export const LAYERS: LayerSpec[] = [];

/** Add a layer (idempotent by id: a later registration replaces the earlier one). */
export function registerLayer(spec: LayerSpec): void {
  const i = LAYERS.findIndex((l) => l.id === spec.id);
  if (i >= 0) LAYERS[i] = spec;
  else LAYERS.push(spec);
}

/** A feature this server does not offer answers 404 on its list path: the layer is unavailable. */
export function isUnavailable(err: unknown): boolean {
  return err instanceof ApiError && (err.status === 404 || err.status === 405) && err.code !== "not_found";
}

export const LAYER_LABELS = {
  operations: tk("layer.operations"),
  conflicts: tk("layer.conflicts"),
  sites: tk("layer.sites"),
  incidents: tk("layer.incidents"),
  tracks: tk("layer.tracks"),
  intel: tk("layer.intel"),
} as const;
