// A Leaflet map with the offline base map, metric scale, a coordinate readout (MGRS and degrees) and controls that
// move to the mirrored corners in Arabic. Used by the operating picture and by every smaller map.
import { effect } from "@preact/signals";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { dir, t } from "../i18n";
import { theme } from "../theme";
import { createBaseMap } from "./basemap";
import { toMgrs } from "./mgrs";
import { baseChoice, chosenSource, loadMapSources, type MapSource, mapSources } from "./sources";

/** 36°45.2′N 043°07.9′E: degrees and decimal minutes, as plotted on charts. */
export function formatLatLon(p: L.LatLng): string {
  const part = (value: number, width: number, pos: string, neg: string) => {
    const abs = Math.abs(value);
    const deg = Math.floor(abs);
    const min = ((abs - deg) * 60).toFixed(1).padStart(4, "0");
    return `${String(deg).padStart(width, "0")}°${min}′${value >= 0 ? pos : neg}`;
  };
  return `${part(p.lat, 2, "N", "S")} ${part(((p.lng + 540) % 360) - 180, 3, "E", "W")}`;
}

let sourcesAsked = false;

/** A raster tile layer of one of the centre's map sources, within its zooms and bounds. */
function tileLayer(source: MapSource): L.TileLayer {
  const [west, south, east, north] = source.bounds ?? [-180, -85, 180, 85];
  return L.tileLayer(source.tile_url, {
    pane: "tiles",
    minNativeZoom: source.min_zoom,
    maxNativeZoom: source.max_zoom,
    maxZoom: 14,
    bounds: source.bounds ? L.latLngBounds([south, west], [north, east]) : undefined,
    attribution: source.attribution ? escapeText(source.attribution) : undefined,
    subdomains: "abc",
  });
}

const escapeText = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface MapView {
  map: L.Map;
  dispose(): void;
}

export function createMapView(host: HTMLElement, options: { center?: L.LatLngExpression; zoom?: number } = {}): MapView {
  const map = L.map(host, {
    center: options.center ?? [36.5, 43.5],
    zoom: options.zoom ?? 6,
    minZoom: 3,
    maxZoom: 14,
    zoomControl: false,
    attributionControl: true,
    worldCopyJump: true,
    keyboard: true,
    // No drift after a drag: Leaflet starts it from an animation frame it never cancels, so a map
    // removed in between (signing out just after a drag) had that frame pan a map without panes
    // ("Cannot read properties of undefined (reading 'classList')").
    inertia: false,
  });
  // The base map lives in a pane under everything drawn on it (the canvas would otherwise cover
  // item layers added before it finished loading).
  map.createPane("base").style.zIndex = "250";
  // The centre's own tiles (an uploaded archive or an on-premises server) cover the built-in land and
  // borders where they have data; the grid and the names stay on top.
  map.createPane("tiles").style.zIndex = "255";
  map.createPane("base-labels").style.zIndex = "260";
  map.attributionControl.setPrefix(false).addAttribution("Natural Earth · GeoNames");
  const zoom = L.control.zoom({ zoomInTitle: t("map.zoom_in"), zoomOutTitle: t("map.zoom_out") });
  const scale = L.control.scale({ imperial: false });
  const coords = new L.Control({ position: "bottomleft" });
  coords.onAdd = () => {
    const box = L.DomUtil.create("div", "coords");
    box.dir = "ltr";
    box.dataset["testid"] = "coords";
    const grid = L.DomUtil.create("div", "coords-mgrs", box);
    const latLon = L.DomUtil.create("div", "coords-ll", box);
    grid.title = "MGRS";
    const show = (p: L.LatLng) => {
      grid.textContent = toMgrs(p.lat, p.lng) ?? "—";
      latLon.textContent = formatLatLon(p);
    };
    show(map.getCenter());
    map.on("mousemove", (e: L.LeafletMouseEvent) => show(e.latlng));
    return box;
  };
  const stopDir = effect(() => {
    // Arabic mirrors the whole layout, the map's controls included.
    const rtl = dir.value === "rtl";
    zoom.setPosition(rtl ? "topleft" : "topright").addTo(map);
    scale.setPosition(rtl ? "bottomright" : "bottomleft").addTo(map);
    coords.setPosition(rtl ? "bottomright" : "bottomleft").addTo(map);
    map.attributionControl.setPosition(rtl ? "bottomleft" : "bottomright");
  });
  let tiles: L.TileLayer | null = null;
  const stopTiles = effect(() => {
    const source = chosenSource(mapSources.value, baseChoice.value);
    if (tiles) map.removeLayer(tiles);
    tiles = source ? tileLayer(source).addTo(map) : null;
  });
  if (!sourcesAsked) {
    sourcesAsked = true;
    void loadMapSources();
  }
  let stopTheme = () => {};
  let disposed = false;
  let stopBase = () => {};
  void createBaseMap(map, theme.value).then((base) => {
    if (disposed) return base.dispose();
    base.layer.addTo(map);
    stopTheme = effect(() => base.setTheme(theme.value));
    stopBase = () => base.dispose();
  });
  return {
    map,
    dispose() {
      disposed = true;
      stopDir();
      stopTiles();
      stopTheme();
      stopBase();
      // Stop a zoom or pan in flight: its next animation frame would touch removed panes.
      map.stop();
      map.off();
      map.remove();
    },
  };
}
