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

/** A small map of an operation's area and what touches it; optionally lets one draw the area. */
export function AreaMap({ shapes, onDraw, testId }: { shapes: readonly Shape[]; onDraw?: (p: Polygon) => void; testId?: string }) {
  const host = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const layerRef = useRef<L.LayerGroup | null>(null);
  const [drawing, setDrawing] = useState<{ cancel(): void } | null>(null);
  const [corners, setCorners] = useState(0);

  useEffect(() => {
    if (!host.current) return;
    const view = createMapView(host.current, { zoom: 6 });
    mapRef.current = view.map;
    layerRef.current = L.layerGroup().addTo(view.map);
    return () => view.dispose();
  }, []);

  useEffect(() => {
    const map = mapRef.current;
    const layer = layerRef.current;
    if (!map || !layer) return;
    layer.clearLayers();
    const drawn = shapes.map((s) =>
      L.geoJSON(s.geometry, {
        style: { color: s.color, weight: 2, fillColor: s.color, fillOpacity: 0.18, dashArray: s.dashed ? "6 4" : undefined },
      }).bindTooltip(textElement(s.label ?? ""), { sticky: true }),
    );
    drawn.forEach((d) => layer.addLayer(d));
    const bounds = drawn.reduce<L.LatLngBounds | null>((b, d) => (b ? b.extend(d.getBounds()) : d.getBounds()), null);
    if (bounds?.isValid()) map.fitBounds(bounds, { padding: [30, 30], maxZoom: 10, animate: false });
  }, [JSON.stringify(shapes)]);

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
