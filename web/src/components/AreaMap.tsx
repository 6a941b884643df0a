import type { Geometry, Polygon } from "geojson";
import L from "leaflet";
import { useEffect, useRef, useState } from "preact/hooks";
import { t } from "../i18n";
import { drawPolygon } from "../map/draw";
import { createMapView } from "../map/view";

export interface Shape {
  geometry: Geometry;
  color: string;
  dashed?: boolean;
  label?: string;
}

/** Leaflet inserts a string tooltip as HTML; user-written text goes in as a text node, never markup. */
function textElement(text: string): HTMLElement {
  const span = document.createElement("span");
  span.dir = "auto";
  span.textContent = text;
  return span;
}

/** What surrounds the area (other operations, sites, tracks): drawn under it, never zoomed to. */
export interface ContextShape extends Shape {
  key: string;
}

function drawShape(s: Shape, weight: number, fillOpacity: number): L.GeoJSON {
  return L.geoJSON(s.geometry, {
    style: { color: s.color, weight, fillColor: s.color, fillOpacity, dashArray: s.dashed ? "6 4" : undefined },
    // Points (tracks, sites given as a point) as small circles: Leaflet's default marker images are not shipped.
    pointToLayer: (_, at) => L.circleMarker(at, { radius: 5, color: s.color, weight: 2, fillOpacity: 0.8 }),
  }).bindTooltip(textElement(s.label ?? ""), { sticky: true });
}

/** A small map of an operation's area and what touches it; optionally lets one draw the area. */
export function AreaMap({
  shapes,
  context = [],
  onDraw,
  testId,
}: {
  shapes: readonly Shape[];
  context?: readonly ContextShape[];
  onDraw?: (p: Polygon) => void;
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const layerRef = useRef<L.LayerGroup | null>(null);
  const contextRef = useRef<L.LayerGroup | null>(null);
  const [drawing, setDrawing] = useState<{ cancel(): void } | null>(null);
  const [corners, setCorners] = useState(0);

  useEffect(() => {
    if (!host.current) return;
    const view = createMapView(host.current, { zoom: 6 });
    mapRef.current = view.map;
    contextRef.current = L.layerGroup().addTo(view.map);
    layerRef.current = L.layerGroup().addTo(view.map);
    return () => view.dispose();
  }, []);

  useEffect(() => {
    const map = mapRef.current;
    const layer = layerRef.current;
    if (!map || !layer) return;
    layer.clearLayers();
    const drawn = shapes.map((s) => drawShape(s, 2, 0.18));
    drawn.forEach((d) => layer.addLayer(d));
    const bounds = drawn.reduce<L.LatLngBounds | null>((b, d) => (b ? b.extend(d.getBounds()) : d.getBounds()), null);
    if (bounds?.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 10, animate: false });
  }, [JSON.stringify(shapes)]);

  useEffect(() => {
    const group = contextRef.current;
    if (!group) return;
    group.clearLayers();
    context.forEach((s) => group.addLayer(drawShape(s, 1.5, 0.08)));
  }, [JSON.stringify(context)]);

  function startDrawing() {
    const map = mapRef.current;
    if (!map || !onDraw) return;
    const session = drawPolygon(map, { onChange: setCorners });
    setDrawing(session);
    setCorners(0);
    void session.done.then((polygon) => {
      setDrawing(null);
      if (polygon) onDraw(polygon);
    });
  }

  return (
    <div class="area-map">
      <div ref={host} class="area-map-host" data-testid={testId} dir="ltr" />
      {onDraw && (
        <div class="area-map-tools">
          {drawing ? (
            <>
              <span class="muted">{t("draw.hint", { count: corners })}</span>
              <button type="button" class="secondary" onClick={() => drawing.cancel()}>
                {t("draw.cancel")}
              </button>
            </>
          ) : (
            <button type="button" class="secondary" onClick={startDrawing} data-testid="draw-area">
              ✎ {t("draw.start")}
            </button>
          )}
        </div>
      )}
    </div>
  );
}
