// The offline base map: Natural Earth 1:50m countries (npm world-atlas) turned into GeoJSON with
// topojson-client and drawn on a canvas; no tiles, nothing fetched beyond this server.
import L from "leaflet";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countriesUrl from "world-atlas/countries-50m.json?url";
import type { Theme } from "../theme";
import { canvasRenderer } from "./canvas";
import { gridZones } from "./mgrs";

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
}

/** Land, national borders and coastlines, plus the MGRS grid zones and a graticule as one zooms in. */
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
  const layer = L.layerGroup([grid, land, coast, borders, labels]);

  let palette = PALETTE[theme];
  // The MGRS grid zones (6° by 8°) always, a 1° graticule inside them from zoom 7, and each zone's
  // designation at its centre from zoom 5 (zones are then over 130 px wide: labels cannot collide).
  const drawGrid = () => {
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
  apply();
  map.on("zoomend", drawGrid);
  map.on("moveend", drawLabels);
  return {
    layer,
    setTheme(next) {
      palette = PALETTE[next];
      apply();
    },
  };
}
