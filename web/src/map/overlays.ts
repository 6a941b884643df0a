// The base map's overlays beyond borders (issue #25 item 14): rivers and lakes (Natural Earth 1:50m)
// from zoom 5, first-level administrative divisions (provinces, governorates) with their names from
// zoom 6, each country's loaded only when it is in view. Every layer is a chunk of its own
// (web/basemap-data.ts), fetched from this server the first time it is needed, never before. Drawn by
// basemap.ts; what to load and which names fit is decided here.
import { type Box, declutter, labelWidth } from "./declutter";

export const WATER_ZOOM = 5;
export const ADMIN1_ZOOM = 6;
export const ADMIN1_LABEL_ZOOM = 7;

export type Lines = [number, number][][];
export interface Admin1 {
  borders: Lines;
  labels: [name: string, lon: number, lat: number][];
}
interface Country {
  code: string;
  bbox: [number, number, number, number];
  cells: number[];
  load: () => Promise<{ default: Admin1 }>;
}

let water: Promise<{ rivers: Lines; lakes: unknown[]; lakeTypes: string[] }> | null = null;
let countries: Promise<readonly Country[]> | null = null;
const admin1 = new Map<string, Promise<Admin1>>();

export function loadWater() {
  water ??= import("virtual:water").then((m) => m.default);
  return water;
}

/** The 10° cells a view covers (as in virtual:admin1: x * 18 + y, x from 180°W, y from 90°S). */
export function viewCells([w, s, e, n]: [number, number, number, number]): Set<number> {
  const cell = (v: number, lo: number, max: number) => Math.min(max, Math.max(0, Math.floor((v - lo) / 10)));
  const found = new Set<number>();
  // A view wider than the world (or across the antimeridian) covers every column.
  const columns = e - w >= 360 ? [...Array(36).keys()] : [];
  if (!columns.length) {
    const wrap = (v: number) => ((((v + 180) % 360) + 360) % 360) - 180;
    const [a, b] = [cell(wrap(w), -180, 35), cell(wrap(e), -180, 35)];
    for (let x = a; ; x = (x + 1) % 36) {
      columns.push(x);
      if (x === b || columns.length > 36) break;
    }
  }
  for (const x of columns) for (let y = cell(s, -90, 17); y <= cell(n, -90, 17); y++) found.add(x * 18 + y);
  return found;
}

/** The countries whose provinces lie in the view (west, south, east, north in degrees): their bounding
 * box meets it, and so does one of the 10° cells their provinces touch. */
export function countriesInView(list: readonly Pick<Country, "code" | "bbox" | "cells">[], view: [number, number, number, number]): string[] {
  const [w, s, e, n] = view;
  const covered = viewCells(view);
  return list
    .filter(({ bbox: [bw, bs, be, bn] }) => e - w >= 360 || (bw <= e && be >= w && bs <= n && bn >= s))
    .filter(({ cells }) => cells.some((c) => covered.has(c)))
    .map((c) => c.code);
}

export async function loadAdmin1InView(view: [number, number, number, number]): Promise<Map<string, Admin1>> {
  countries ??= import("virtual:admin1").then((m) => m.default);
  const list = await countries;
  const codes = countriesInView(list, view);
  const loaded = await Promise.all(
    codes.map(async (code) => {
      let p = admin1.get(code);
      if (!p) {
        p = list.find((c) => c.code === code)!.load().then((m) => m.default);
        admin1.set(code, p);
      }
      return [code, await p] as const;
    }),
  );
  return new Map(loaded);
}

/** Province names that fit between the labels already placed (`taken`: place names go first). */
export function chooseAdmin1Labels(
  provinces: Iterable<Admin1>,
  view: { width: number; height: number },
  project: (lat: number, lon: number) => { x: number; y: number },
  taken: Box[],
): { name: string; lat: number; lon: number }[] {
  const candidates = function* () {
    for (const data of provinces)
      for (const [name, lon, lat] of data.labels) {
        const { x, y } = project(lat, lon);
        if (x < 0 || y < 0 || x > view.width || y > view.height) continue;
        const half = labelWidth(name) / 2;
        yield { item: { name, lat, lon }, box: { x1: x - half, y1: y - 8, x2: x + half, y2: y + 8 } };
      }
  };
  return declutter(candidates(), taken);
}
