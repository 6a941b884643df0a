// Drawing an area on the map: click to add corners, double-click or Enter to finish, Backspace to
// take the last corner back, Escape to cancel. The result is a GeoJSON Polygon (RFC 7946: [lon, lat],
// closed ring, counter-clockwise exterior).
import type { Polygon } from "geojson";
import L from "leaflet";

export interface DrawOptions {
  color?: string;
  onChange?: (corners: number) => void;
}

function ringArea(ring: [number, number][]): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) {
    const [x1, y1] = ring[i]!;
    const [x2, y2] = ring[i + 1]!;
    sum += x1 * y2 - x2 * y1;
  }
  return sum / 2;
}

/** A polygon from corners, closed and wound counter-clockwise as RFC 7946 §3.1.6 recommends. */
export function polygonFrom(corners: readonly L.LatLng[]): Polygon {
  const ring: [number, number][] = corners.map((c) => [Number(c.lng.toFixed(6)), Number(c.lat.toFixed(6))]);
  ring.push([...ring[0]!] as [number, number]);
  if (ringArea(ring) < 0) ring.reverse();
  return { type: "Polygon", coordinates: [ring] };
}

export function drawPolygon(map: L.Map, options: DrawOptions = {}): { done: Promise<Polygon | null>; cancel(): void } {
  const color = options.color ?? "#ffd33d";
  const corners: L.LatLng[] = [];
  const line = L.polyline([], { color, weight: 2, dashArray: "5 4", interactive: false }).addTo(map);
  const guide = L.polyline([], { color, weight: 1, opacity: 0.7, interactive: false }).addTo(map);
  const markers = L.layerGroup().addTo(map);
  const container = map.getContainer();
  container.classList.add("drawing");
  map.doubleClickZoom.disable();
  let resolve: (p: Polygon | null) => void = () => undefined;
  const done = new Promise<Polygon | null>((r) => (resolve = r));

  const redraw = () => {
    line.setLatLngs(corners);
    markers.clearLayers();
    corners.forEach((c) => markers.addLayer(L.circleMarker(c, { radius: 4, color, fillOpacity: 1, interactive: false })));
    options.onChange?.(corners.length);
  };
  const onClick = (e: L.LeafletMouseEvent) => {
    corners.push(e.latlng);
    redraw();
  };
  const onMove = (e: L.LeafletMouseEvent) => {
    const last = corners[corners.length - 1];
    guide.setLatLngs(last ? [last, e.latlng, corners[0]!] : []);
  };
  const finish = (result: Polygon | null) => {
    map.off("click", onClick);
    map.off("mousemove", onMove);
    map.off("dblclick", onDouble);
    window.removeEventListener("keydown", onKey);
    map.removeLayer(line).removeLayer(guide).removeLayer(markers);
    container.classList.remove("drawing");
    setTimeout(() => map.doubleClickZoom.enable(), 0);
    resolve(result);
  };
  const complete = () => {
    if (corners.length >= 3) finish(polygonFrom(corners));
  };
  const onDouble = (e: L.LeafletMouseEvent) => {
    L.DomEvent.stop(e);
    // The double-click's two clicks each added the same corner: keep one.
    if (corners.length >= 2 && corners[corners.length - 1]!.equals(corners[corners.length - 2]!)) corners.pop();
    complete();
  };
  const onKey = (e: KeyboardEvent) => {
    if (e.key === "Enter") complete();
    else if (e.key === "Escape") finish(null);
    else if (e.key === "Backspace" && corners.length) {
      corners.pop();
      redraw();
    }
  };
  map.on("click", onClick);
  map.on("mousemove", onMove);
  map.on("dblclick", onDouble);
  window.addEventListener("keydown", onKey);
  return { done, cancel: () => finish(null) };
}
