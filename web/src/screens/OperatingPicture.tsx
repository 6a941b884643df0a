import { effect, signal } from "@preact/signals";
import L from "leaflet";
import { useEffect, useRef } from "preact/hooks";
import { AlertRail } from "../components/AlertRail";
import { zulu } from "../format";
import { dir, formatNumber, t, tk } from "../i18n";
import { createMapView } from "../map/view";
import "../features/operations";
import { isUnavailable, LAYERS, type LayerStatus, type MapItem } from "../map/layers";
import { genericSidc, symbolIcon, symbolSvg, type Affiliation } from "../map/symbols";
import { markingText, levelClass, useMarkingsOnScreen } from "../markings";
import { realtime } from "../realtime";
import { apiPaths, offers } from "../capabilities";
import { navigate } from "../router";
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
  // peek: this runs inside effects that must not come to depend on what they write.
  status.value = new Map(status.peek()).set(id, s);
}

async function loadLayer(id: string): Promise<void> {
  const spec = LAYERS.find((l) => l.id === id);
  if (!spec) return;
  if (!offers(spec.path)) {
    setStatus(id, "unavailable");
    return;
  }
  setStatus(id, "loading");
  try {
    const loaded = await spec.load(pictureTime.peek());
    items.value = new Map(items.peek()).set(id, loaded);
    setStatus(id, "ok");
  } catch (err) {
    items.value = new Map(items.peek()).set(id, []);
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
    const view = createMapView(host.current);
    const map = view.map;
    mapRef.current = map;

    for (const l of LAYERS) groups.current.set(l.id, L.layerGroup().addTo(map));
    // The first time there is something to show, frame it; afterwards the officer's view is theirs.
    let framed = false;
    const stopDraw = effect(() => {
      const bounds = L.latLngBounds([]);
      for (const l of LAYERS) {
        const group = groups.current.get(l.id);
        if (!group) continue;
        group.clearLayers();
        if (!enabled.value.has(l.id)) continue;
        for (const item of items.value.get(l.id) ?? []) {
          const drawn = drawItem(item);
          group.addLayer(drawn);
          if (drawn instanceof L.Marker || drawn instanceof L.CircleMarker) bounds.extend(drawn.getLatLng());
          else if (drawn instanceof L.GeoJSON) bounds.extend(drawn.getBounds());
        }
      }
      if (!framed && bounds.isValid()) {
        framed = true;
        map.fitBounds(bounds.pad(0.3), { maxZoom: 9, animate: false });
      }
    });

    const stopTime = effect(() => {
      void pictureTime.value;
      void apiPaths.value;
      void realtime.resyncs.value;
      loadAll();
    });

    // Live: reload a layer when an event it cares about arrives (not while looking at the past).
    let pending = new Set<string>();
    let timer: ReturnType<typeof setTimeout> | null = null;
    const stopEvents = realtime.on("*", (event) => {
      if (pictureTime.peek()) return;
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
      if (timer) clearTimeout(timer);
      view.dispose();
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
