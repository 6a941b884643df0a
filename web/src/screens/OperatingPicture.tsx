import { effect, signal } from "@preact/signals";
import L from "leaflet";
import "leaflet/dist/leaflet.css";
import { useEffect, useRef } from "preact/hooks";
import { AlertRail } from "../components/AlertRail";
import { zulu } from "../format";
import { dir, formatNumber, lang, t, tk } from "../i18n";
import { createBaseMap } from "../map/basemap";
import { isUnavailable, LAYERS, type LayerStatus, type MapItem } from "../map/layers";
import { genericSidc, symbolIcon, symbolSvg, type Affiliation } from "../map/symbols";
import { markingText, levelClass, useMarkingsOnScreen } from "../markings";
import { realtime } from "../realtime";
import { navigate } from "../router";
import { theme } from "../theme";
import { TimeSlider } from "../components/TimeSlider";

const enabled = signal<ReadonlySet<string>>(
  new Set(JSON.parse(localStorage.getItem("concord.layers") ?? "null") ?? ["operations", "conflicts", "sites", "incidents", "tracks", "intel"]),
);
effect(() => localStorage.setItem("concord.layers", JSON.stringify([...enabled.value])));

/** null = live; otherwise the moment the picture shows. */
export const pictureTime = signal<Date | null>(null);
const items = signal<ReadonlyMap<string, readonly MapItem[]>>(new Map());
const status = signal<ReadonlyMap<string, LayerStatus>>(new Map());
const layerPanelOpen = signal(true);

function setStatus(id: string, s: LayerStatus) {
  status.value = new Map(status.value).set(id, s);
}

async function loadLayer(id: string): Promise<void> {
  const spec = LAYERS.find((l) => l.id === id);
  if (!spec) return;
  setStatus(id, "loading");
  try {
    const loaded = await spec.load(pictureTime.value);
    items.value = new Map(items.value).set(id, loaded);
    setStatus(id, "ok");
  } catch (err) {
    items.value = new Map(items.value).set(id, []);
    setStatus(id, isUnavailable(err) ? "unavailable" : "error");
  }
}

function loadAll(): void {
  LAYERS.forEach((l) => void loadLayer(l.id));
}

function toggleLayer(id: string) {
  const next = new Set(enabled.value);
  if (next.has(id)) next.delete(id);
  else next.add(id);
  enabled.value = next;
}

function popupContent(item: MapItem): HTMLElement {
  const root = document.createElement("div");
  root.className = "map-popup";
  root.dir = dir.value;
  if (item.marking) {
    const m = document.createElement("div");
    m.className = `marking ${levelClass(item.marking.level)}`;
    m.textContent = markingText(item.marking);
    root.append(m);
  }
  const title = document.createElement("strong");
  title.textContent = item.title;
  root.append(title);
  if (item.subtitle) {
    const sub = document.createElement("div");
    sub.className = "muted";
    sub.textContent = item.subtitle;
    root.append(sub);
  }
  if (item.at) {
    const when = document.createElement("div");
    when.className = "muted";
    when.textContent = zulu(item.at);
    root.append(when);
  }
  if (item.href) {
    const open = document.createElement("a");
    open.href = item.href;
    open.textContent = t("map.open");
    open.addEventListener("click", (e) => {
      e.preventDefault();
      navigate(item.href as string);
    });
    root.append(open);
  }
  return root;
}

function drawItem(item: MapItem): L.Layer {
  const color = item.color ?? "#4aa3ff";
  if (item.geometry.type === "Point") {
    const [lon, lat] = item.geometry.coordinates as [number, number];
    const marker = item.sidc
      ? L.marker([lat, lon], { icon: symbolIcon(item.sidc, 26, item.label), keyboard: true, title: item.title })
      : L.circleMarker([lat, lon], { radius: 7, color, weight: 2, fillColor: color, fillOpacity: 0.5 });
    return marker.bindPopup(() => popupContent(item));
  }
  return L.geoJSON(item.geometry, {
    style: { color, weight: 2, fillColor: color, fillOpacity: 0.15, dashArray: item.dashed ? "6 4" : undefined },
  }).bindPopup(() => popupContent(item));
}

/** 36°45.2′N 043°07.9′E: degrees and decimal minutes, as plotted on charts. */
function formatLatLon(p: L.LatLng): string {
  const part = (value: number, width: number, pos: string, neg: string) => {
    const abs = Math.abs(value);
    const deg = Math.floor(abs);
    const min = ((abs - deg) * 60).toFixed(1).padStart(4, "0");
    return `${String(deg).padStart(width, "0")}°${min}′${value >= 0 ? pos : neg}`;
  };
  return `${part(p.lat, 2, "N", "S")} ${part(((p.lng + 540) % 360) - 180, 3, "E", "W")}`;
}

const LEGEND: readonly [Affiliation, string][] = [
  ["friend", tk("legend.friend")],
  ["hostile", tk("legend.hostile")],
  ["neutral", tk("legend.neutral")],
  ["unknown", tk("legend.unknown")],
];

function LayerPanel() {
  if (!layerPanelOpen.value) return null;
  return (
    <section class="panel layer-panel" aria-label={t("map.layers")} data-testid="layer-panel">
      <h2>
        {t("map.layers")} <kbd>L</kbd>
      </h2>
      <ul>
        {LAYERS.map((l) => {
          const st = status.value.get(l.id) ?? "loading";
          const count = items.value.get(l.id)?.length ?? 0;
          return (
            <li key={l.id} class={`layer-row st-${st}`}>
              <label>
                <input type="checkbox" checked={enabled.value.has(l.id)} onChange={() => toggleLayer(l.id)} />
                <span class="swatch" style={{ background: l.color }} />
                <span class="layer-name">{t(l.label)}</span>
                <span class="layer-count">
                  {st === "ok" ? formatNumber(count) : st === "unavailable" ? t("map.unavailable") : st === "error" ? t("map.error") : "…"}
                </span>
              </label>
            </li>
          );
        })}
      </ul>
      <h3>{t("legend.title")}</h3>
      <ul class="legend">
        {LEGEND.map(([aff, key]) => (
          <li key={aff}>
            <span class="legend-symbol" dangerouslySetInnerHTML={{ __html: symbolSvg(genericSidc(aff), 18) }} />
            {t(key)}
          </li>
        ))}
      </ul>
    </section>
  );
}

export function OperatingPicture() {
  const host = useRef<HTMLDivElement>(null);
  const mapRef = useRef<L.Map | null>(null);
  const groups = useRef(new Map<string, L.LayerGroup>());

  // Every item drawn counts toward the classification banner.
  const shown = LAYERS.filter((l) => enabled.value.has(l.id)).flatMap((l) => items.value.get(l.id) ?? []);
  useMarkingsOnScreen(shown.map((i) => i.marking));

  useEffect(() => {
    if (!host.current) return;
    const map = L.map(host.current, {
      center: [36.5, 43.5],
      zoom: 6,
      minZoom: 3,
      maxZoom: 14,
      zoomControl: false,
      attributionControl: true,
      worldCopyJump: true,
      keyboard: true,
    });
    mapRef.current = map;
    map.attributionControl.setPrefix(false).addAttribution("Natural Earth");
    const zoom = L.control.zoom({ zoomInTitle: t("map.zoom_in"), zoomOutTitle: t("map.zoom_out") });
    const scale = L.control.scale({ imperial: false });
    const coords = new L.Control({ position: "bottomleft" });
    coords.onAdd = () => {
      const box = L.DomUtil.create("div", "coords");
      box.dir = "ltr";
      map.on("mousemove", (e: L.LeafletMouseEvent) => (box.textContent = formatLatLon(e.latlng)));
      return box;
    };
    const place = () => {
      // Arabic mirrors the whole layout, the map's controls included.
      const rtl = dir.value === "rtl";
      zoom.setPosition(rtl ? "topleft" : "topright").addTo(map);
      scale.setPosition(rtl ? "bottomright" : "bottomleft").addTo(map);
      coords.setPosition(rtl ? "bottomright" : "bottomleft").addTo(map);
      map.attributionControl.setPosition(rtl ? "bottomleft" : "bottomright");
    };
    place();
    const stopDir = effect(() => {
      void lang.value;
      place();
    });

    let stopTheme = () => {};
    void createBaseMap(map, theme.value).then((base) => {
      base.layer.addTo(map);
      base.layer.eachLayer((l) => (l as L.Path).bringToBack?.());
      stopTheme = effect(() => base.setTheme(theme.value));
    });

    for (const l of LAYERS) groups.current.set(l.id, L.layerGroup().addTo(map));
    const stopDraw = effect(() => {
      for (const l of LAYERS) {
        const group = groups.current.get(l.id);
        if (!group) continue;
        group.clearLayers();
        if (!enabled.value.has(l.id)) continue;
        for (const item of items.value.get(l.id) ?? []) group.addLayer(drawItem(item));
      }
    });

    loadAll();
    const stopTime = effect(() => {
      void pictureTime.value;
      loadAll();
    });

    // Live: reload a layer when an event it cares about arrives (not while looking at the past).
    let pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stopEvents = realtime.on("*", (event) => {
      if (pictureTime.value) return;
      for (const l of LAYERS) if (l.events.some((k) => event.kind === k || event.kind.startsWith(`${k}.`))) pending.add(l.id);
      if (pending.size && !timer)
        timer = setTimeout(() => {
          const ids = pending;
          pending = new Set();
          timer = null;
          ids.forEach((id) => void loadLayer(id));
        }, 250);
    });

    const onKey = (e: KeyboardEvent) => {
      if (e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLSelectElement) return;
      if (e.key === "l" || e.key === "L") layerPanelOpen.value = !layerPanelOpen.value;
    };
    window.addEventListener("keydown", onKey);
    return () => {
      window.removeEventListener("keydown", onKey);
      stopEvents();
      stopTime();
      stopDraw();
      stopDir();
      stopTheme();
      if (timer) clearTimeout(timer);
      map.remove();
      groups.current.clear();
    };
  }, []);

  return (
    <main class="map-screen" aria-label={t("nav.map")}>
      <div ref={host} class="map-host" data-testid="map" dir="ltr" />
      <div class="map-overlay start">
        <button class="panel-toggle" onClick={() => (layerPanelOpen.value = !layerPanelOpen.value)} aria-expanded={layerPanelOpen.value}>
          ☰ {t("map.layers")}
        </button>
        <LayerPanel />
      </div>
      <AlertRail />
      <TimeSlider value={pictureTime.value} onChange={(d) => (pictureTime.value = d)} />
    </main>
  );
}
