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
import { type LabelCandidate, placeLabels } from "../map/labels";
import { realtime } from "../realtime";
import { apiPaths, offers } from "../capabilities";
import { navigate } from "../router";
import { TimeSlider } from "../components/TimeSlider";
import { baseChoice, BUILT_IN, chosenSource, loadMapSources, mapSources } from "../map/sources";

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
    // The label is written beside the symbol by the label pass (placeLabels), never inside its icon.
    const marker = item.sidc
      ? L.marker([lat, lon], { icon: symbolIcon(item.sidc, 26), keyboard: true, title: item.title })
      : L.circleMarker([lat, lon], { radius: 7, color, weight: 2, fillColor: color, fillOpacity: 0.5 });
    return marker.bindPopup(() => popupContent(item));
  }
  return L.geoJSON(item.geometry, {
    style: { color, weight: 2, fillColor: color, fillOpacity: 0.15, dashArray: item.dashed ? "6 4" : undefined },
  }).bindPopup(() => popupContent(item));
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** What the label pass needs of one drawn item: its symbol's box on screen, or its area's centre. */
function labelCandidate(map: L.Map, item: MapItem, layer: L.Layer): LabelCandidate[] {
  if (layer instanceof L.Marker) {
    const p = map.latLngToContainerPoint(layer.getLatLng());
    const icon = layer.options.icon?.options;
    const [w, h] = (icon?.iconSize as L.PointTuple | undefined) ?? [26, 26];
    const [ax, ay] = (icon?.iconAnchor as L.PointTuple | undefined) ?? [w / 2, h / 2];
    return [{ key: item.key, text: item.label ?? "", at: p, symbol: { x1: p.x - ax, y1: p.y - ay, x2: p.x - ax + w, y2: p.y - ay + h } }];
  }
  if (layer instanceof L.CircleMarker) {
    const p = map.latLngToContainerPoint(layer.getLatLng());
    return [{ key: item.key, text: item.label ?? "", at: p, symbol: { x1: p.x - 9, y1: p.y - 9, x2: p.x + 9, y2: p.y + 9 } }];
  }
  if (layer instanceof L.GeoJSON && item.geometry.type !== "Point") {
    const bounds = layer.getBounds();
    return bounds.isValid() ? [{ key: item.key, text: item.title, at: map.latLngToContainerPoint(bounds.getCenter()) }] : [];
  }
  return [];
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
      <BaseLayers />
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

/** The base map: the built-in offline one, or one of the centre's own map sources. */
function BaseLayers() {
  const sources = mapSources.value;
  const current = chosenSource(sources, baseChoice.value);
  const option = (value: string, label: string, detail?: string) => (
    <li key={value}>
      <label>
        <input type="radio" name="base-layer" value={value} checked={(current ? String(current.id) : BUILT_IN) === value}
          onChange={() => (baseChoice.value = value)} />
        <bdi class="layer-name">{label}</bdi>
        {detail && <span class="layer-count">{detail}</span>}
      </label>
    </li>
  );
  return (
    <>
      <h3>{t("map.base")}</h3>
      <ul class="base-layers" data-testid="base-layers">
        {option(BUILT_IN, t("map.base_builtin"))}
        {sources.map((s) => option(String(s.id), s.name, (s.kind === "xyz" ? t("map.base_server") : t("map.base_archive"))))}
      </ul>
    </>
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
    map.createPane("item-labels").style.zIndex = "640";
    const labelGroup = L.layerGroup().addTo(map);
    let drawn: { item: MapItem; layer: L.Layer }[] = [];
    const drawLabels = () => {
      labelGroup.clearLayers();
      const size = map.getSize();
      const candidates = drawn.flatMap(({ item, layer }) => labelCandidate(map, item, layer));
      for (const label of placeLabels(candidates, { width: size.x, height: size.y }, dir.value === "rtl"))
        labelGroup.addLayer(
          L.marker(map.containerPointToLatLng([label.box.x1, label.box.y1]), {
            pane: "item-labels",
            interactive: false,
            keyboard: false,
            icon: L.divIcon({
              className: "item-label",
              html: `<bdi style="width:${label.box.x2 - label.box.x1}px">${escapeHtml(label.text)}</bdi>`,
              iconSize: [0, 0],
              iconAnchor: [0, 0],
            }),
          }),
        );
    };
    map.on("zoomend moveend", drawLabels);
    // The first time there is something to show, frame it; afterwards the officer's view is theirs.
    let framed = false;
    const stopDraw = effect(() => {
      const bounds = L.latLngBounds([]);
      drawn = [];
      for (const l of LAYERS) {
        const group = groups.current.get(l.id);
        if (!group) continue;
        group.clearLayers();
        if (!enabled.value.has(l.id)) continue;
        for (const item of items.value.get(l.id) ?? []) {
          const layer = drawItem(item);
          group.addLayer(layer);
          drawn.push({ item, layer });
          if (layer instanceof L.Marker || layer instanceof L.CircleMarker) bounds.extend(layer.getLatLng());
          else if (layer instanceof L.GeoJSON) bounds.extend(layer.getBounds());
        }
      }
      if (!framed && bounds.isValid()) {
        framed = true;
        map.fitBounds(bounds.pad(0.3), { maxZoom: 9, animate: false });
      }
      void dir.value; // labels start on the reading side
      drawLabels();
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
      if (event.kind.startsWith("map_source.")) void loadMapSources();
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
      map.off("zoomend moveend", drawLabels);
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
