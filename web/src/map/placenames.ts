// Place names on the base map (drawn by basemap.ts), chosen so that none overlaps another: the most populous first, each
// kept only where its label box is still free on screen, with fewer small places when zoomed out.
import { type Box, labelWidth, overlaps } from "./declutter";

export type Place = readonly [name: string, lon: number, lat: number, population: number];

/** The smallest population shown at a zoom level (whole-country views show only the large cities). */
export function minPopulation(zoom: number): number {
  if (zoom < 5) return 1_000_000;
  if (zoom < 6) return 250_000;
  if (zoom < 7) return 60_000;
  if (zoom < 8) return 30_000;
  return 0;
}

/** Which places to label: in population order, those whose label (beside its dot) fits between the
 * ones already placed (and `taken`, which gains the boxes of those chosen). `project` gives a place's pixel
 * position; `width` a label's width in pixels. */
export function choosePlaces(
  places: readonly Place[],
  zoom: number,
  view: { width: number; height: number },
  project: (lat: number, lon: number) => { x: number; y: number },
  width: (name: string) => number = labelWidth,
  limit = 200,
  taken: Box[] = [],
): { place: Place; x: number; y: number }[] {
  const floor = minPopulation(zoom);
  const chosen: { place: Place; x: number; y: number }[] = [];
  for (const place of places) {
    if (place[3] < floor) break; // most populous first: the rest are smaller still
    const { x, y } = project(place[2], place[1]);
    if (x < 0 || y < 0 || x > view.width || y > view.height) continue;
    const box = { x1: x - 4, y1: y - 8, x2: x + 6 + width(place[0]), y2: y + 8 };
    if (taken.some((b) => overlaps(b, box))) continue;
    taken.push(box);
    chosen.push({ place, x, y });
    if (chosen.length >= limit) break;
  }
  return chosen;
}

let loaded: Promise<readonly Place[]> | null = null;

/** The place list (a separate chunk, loaded once). */
export function loadPlaces(): Promise<readonly Place[]> {
  loaded ??= import("virtual:places").then((m) => m.default);
  return loaded;
}
