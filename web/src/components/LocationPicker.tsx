import L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import type { Place } from "../features/intel_authoring";
import { t } from "../i18n";
import { toMgrs } from "../map/mgrs";
import { createMapView, formatLatLon } from "../map/view";

/** Coordinates as charted: five decimals is about a metre, more than any report claims. */
const round = (value: number) => Number(value.toFixed(5));

/** A map on which a click picks a place (nothing is picked until someone clicks). With `readOnly`,
 * shows the given places instead. */
export function LocationPicker({
  value,
  onChange,
  places = [],
  testId,
}: {
  value?: Place | null;
  onChange?: (p: Place | null) => void;
  places?: readonly Place[];
  testId?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const layerRef = useRef<L.LayerGroup | null>(null);
  const changeRef = useRef(onChange);
  changeRef.current = onChange;

  useEffect(() => {
    if (!host.current) return;
    const view = createMapView(host.current, { zoom: 6 });
    mapRef.current = view.map;
    layerRef.current = L.layerGroup().addTo(view.map);
    if (changeRef.current) {
      host.current.classList.add("picking");
      view.map.on("click", (e: L.LeafletMouseEvent) =>
        changeRef.current?.({ latitude: round(e.latlng.lat), longitude: round(((e.latlng.lng + 540) % 360) - 180), name: "" }),
      );
    }
    return () => view.dispose();
  }, []);

  const shown = value ? [value] : places;
  useEffect(() => {
    const map = mapRef.current;
    const layer = layerRef.current;
    if (!map || !layer) return;
    layer.clearLayers();
    shown.forEach((p) => {
      const marker = L.circleMarker([p.latitude, p.longitude], { radius: 7, color: "#ffd33d", weight: 3, fillOpacity: 0.6 });
      if (p.name) {
        const label = document.createElement("span");
        label.dir = "auto";
        label.textContent = p.name;
        marker.bindTooltip(label, { permanent: !onChange, direction: "top" });
      }
      layer.addLayer(marker);
    });
    // Show what was given (a detail page), not what was just clicked (the map stays where one is looking).
    if (!onChange && shown.length) {
      map.fitBounds(L.latLngBounds(shown.map((p) => [p.latitude, p.longitude])), { padding: [40, 40], maxZoom: 9, animate: false });
    }
  }, [JSON.stringify(shown)]);

  return (
    <div class="location-picker">
      <div ref={host} class="area-map-host location-map" data-testid={testId} dir="ltr" />
      {onChange && (
        <div class="row location-readout">
          {value ? (
            <>
              <span dir="ltr" data-testid="picked-place">
                <code>{toMgrs(value.latitude, value.longitude) ?? ""}</code> · {formatLatLon(L.latLng(value.latitude, value.longitude))}
              </span>
              <button type="button" class="link" onClick={() => onChange(null)}>
                {t("intel.place_clear")}
              </button>
            </>
          ) : (
            <span class="muted">{t("intel.place_pick")}</span>
          )}
        </div>
      )}
    </div>
  );
}
