// The offline base map: Natural Earth 1:50m countries (npm world-atlas) turned into GeoJSON with
// topojson-client and drawn on a canvas; no tiles, nothing fetched beyond this server.
import L from "leaflet";
import { feature, mesh } from "topojson-client";
import type { GeometryCollection, Topology } from "topojson-specification";
import countriesUrl from "world-atlas/countries-50m.json?url";
import type { Theme } from "../theme";
import { canvasRenderer } from "./canvas";

const PALETTE: Record<Theme, { land: string; border: string; coast: string; grid: string }> = {
  dark: { land: "#1f2c39", border: "#8aa3bd", coast: "#51697f", grid: "#16222e" },
  light: { land: "#f1f0ea", border: "#8a7f73", coast: "#7f98ad", grid: "#b9c9d6" },
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

/** Land, national borders and coastlines, plus a graticule that densifies as one zooms in. */
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
  const layer = L.layerGroup([grid, land, coast, borders]);

  let palette = PALETTE[theme];
  const drawGrid = () => {
    grid.clearLayers();
    const step = map.getZoom() >= 7 ? 1 : map.getZoom() >= 4 ? 5 : 10;
    const style = { renderer, pane: "base", interactive: false, color: palette.grid, weight: 1, opacity: 0.9 };
    for (let lat = -80; lat <= 80; lat += step) grid.addLayer(L.polyline([[lat, -180], [lat, 180]], style));
    for (let lon = -180; lon <= 180; lon += step) grid.addLayer(L.polyline([[-85, lon], [85, lon]], style));
  };
  const apply = () => {
    land.setStyle({ stroke: false, fillColor: palette.land, fillOpacity: 1 });
    borders.setStyle({ color: palette.border, weight: 1.4, opacity: 1, dashArray: "6 3" });
    coast.setStyle({ color: palette.coast, weight: 1, opacity: 1 });
    drawGrid();
  };
  apply();
  map.on("zoomend", drawGrid);
  return {
    layer,
    setTheme(next) {
      palette = PALETTE[next];
      apply();
    },
  };
}
