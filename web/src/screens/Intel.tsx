import { ApiError } from "../api";
import { stixTypeName } from "../codes";
import { useEffect, useState } from "preact/hooks";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { defaultMarking, MarkingPicker, type MarkingInput } from "../components/MarkingPicker";
import { type Column, SortableTable } from "../components/SortableTable";
import { Time } from "../components/Time";
import L from "leaflet";
import { LocationPicker } from "../components/LocationPicker";
import { EXPORT_URL, intel, type CrossCorrelation, type IntelDetail, type IntelFilter, type IntelObject } from "../features/intel";
import { AUTHORED_KINDS, authoredObjects, bundleObjects, OBSERVABLE_TYPES, type AuthoredKind, type ObservableType, type Place } from "../features/intel_authoring";
import { t, tk } from "../i18n";
import { formatLatLon } from "../map/view";
import { LEVELS, levelLabel } from "../markings";
import { realtime } from "../realtime";
import { navigate, route } from "../router";
import { hasRole, me, nations } from "../session";

const TYPES = ["report", "indicator", "observed-data", "sighting", "location", "attack-pattern", "threat-actor", "relationship", "note"];

function open(o: IntelObject) {
  navigate(`/intel/${o.id}`);
}

function Feed() {
  const [filter, setFilter] = useState<IntelFilter>({});
  const [text, setText] = useState("");
  const [items, setItems] = useState<IntelObject[]>([]);
  const [behind, setBehind] = useState(0);
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      const page = await intel.list(filter);
      setItems(page.items);
      setBehind(page.indexing?.behind ?? 0);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    return realtime.on("intel", () => void load());
  }, [JSON.stringify(filter), realtime.resyncs.value]);
  // The search index follows publishing by a moment: search again until it has caught up.
  useEffect(() => {
    if (behind === 0) return;
    const timer = setTimeout(() => void load(), 2000);
    return () => clearTimeout(timer);
  }, [behind, JSON.stringify(filter)]);
  const columns: Column<IntelObject>[] = [
    { key: "marking", label: t("marking.title"), sort: (o) => LEVELS.indexOf(o.marking.level), render: (o) => <MarkingBadge marking={o.marking} compact /> },
    { key: "type", label: t("intel.type"), sort: (o) => o.type, render: (o) => <span data-type={o.type}>{stixTypeName(o.type)}</span> },
    {
      key: "title",
      label: t("intel.title"),
      sort: (o) => o.title,
      render: (o) => (
        <a href={`/intel/${o.id}`} onClick={(e) => (e.preventDefault(), open(o))} class={o.revoked ? "revoked" : ""}>
          {o.title || o.stix_id}
        </a>
      ),
    },
    { key: "originator", label: t("intel.originator"), sort: (o) => o.marking.originator, render: (o) => o.marking.originator },
    { key: "version", label: t("intel.modified"), sort: (o) => o.version, render: (o) => <Time value={o.version} /> },
  ];
  const set = (patch: IntelFilter) => setFilter({ ...filter, ...patch });
  return (
    <>
      <form
        class="toolbar"
        onSubmit={(e) => {
          e.preventDefault();
          set({ q: text || undefined });
        }}
      >
        <label>
          {t("intel.search")}
          <input type="search" name="q" value={text} onInput={(e) => setText(e.currentTarget.value)} />
        </label>
        <label>
          {t("intel.type")}
          <select value={filter.type ?? ""} onChange={(e) => set({ type: e.currentTarget.value || undefined })}>
            <option value="">{t("ops.all")}</option>
            {TYPES.map((x) => (
              <option key={x} value={x}>
                {stixTypeName(x)}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("intel.originator")}
          <select value={filter.originator ?? ""} onChange={(e) => set({ originator: e.currentTarget.value || undefined })}>
            <option value="">{t("ops.all")}</option>
            {nations.value.map((n) => (
              <option key={n.code} value={n.code}>
                {n.code}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("intel.max_level")}
          <select value={filter.level ?? ""} onChange={(e) => set({ level: e.currentTarget.value || undefined })}>
            <option value="">{t("ops.all")}</option>
            {LEVELS.map((l) => (
              <option key={l} value={l}>
                {levelLabel(l)}
              </option>
            ))}
          </select>
        </label>
        <button class="secondary" type="submit">
          {t("intel.search")}
        </button>
      </form>
      <ErrorText error={error} />
      {behind > 0 && (
        <p class="muted" role="status" data-testid="intel-indexing">
          {t("intel.indexing", { count: behind })}
        </p>
      )}
      <SortableTable rows={items} columns={columns} rowKey={(o) => o.id} testId="intel-feed" empty={t("intel.none")} />
    </>
  );
}

const KIND_LABELS: Record<AuthoredKind, string> = {
  report: tk("intel.kind.report"),
  indicator: tk("intel.kind.indicator"),
  observable: tk("intel.kind.observable"),
  "attack-pattern": tk("intel.kind.attack_pattern"),
  "threat-actor": tk("intel.kind.threat_actor"),
};
const OBSERVABLE_LABELS: Record<ObservableType, string> = {
  "ipv4-addr": tk("intel.observable.ipv4"),
  "ipv6-addr": tk("intel.observable.ipv6"),
  "domain-name": tk("intel.observable.domain"),
  url: tk("intel.observable.url"),
  "email-addr": tk("intel.observable.email"),
  "file-sha256": tk("intel.observable.sha256"),
};

/** The form's own label for the STIX property the server refused (objects[0].pattern → "STIX pattern"). */
const FIELD_LABELS: Record<string, string> = {
  pattern: tk("intel.pattern"),
  value: tk("intel.observable_value"),
  hashes: tk("intel.observable_value"),
  name: tk("intel.title"),
  external_references: tk("intel.external_id"),
};

function formError(err: unknown): unknown {
  const property = err instanceof ApiError ? /^objects\[\d+\]\.(\w+)/.exec(err.field ?? "")?.[1] : undefined;
  const label = property ? FIELD_LABELS[property] : undefined;
  return label ? new Error(t("error.invalid_field", { field: t(label) })) : err;
}

function Publish({ onDone }: { onDone: (id: number) => void }) {
  const [kind, setKind] = useState<AuthoredKind>("report");
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [pattern, setPattern] = useState("");
  const [observableType, setObservableType] = useState<ObservableType>("ipv4-addr");
  const [observableValue, setObservableValue] = useState("");
  const [externalId, setExternalId] = useState("");
  const [placeName, setPlaceName] = useState("");
  const [place, setPlace] = useState<Place | null>(null);
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    if (kind === "report" && !place) {
      setError(new Error(t("intel.place_required")));
      return;
    }
    setBusy(true);
    try {
      const objects = authoredObjects({
        kind, name, description, pattern, observableType, observableValue, externalId,
        place: place ? { ...place, name: placeName } : null,
      });
      const made = await intel.publish(objects, marking);
      // An observable opens on what was seen (the value), not on the observed-data wrapping it.
      const shown = objects[kind === "observable" ? 1 : 0]!["id"];
      const main = made.items.find((o) => o.stix_id === shown) ?? made.items[0];
      if (main) onDone(main.id);
    } catch (err) {
      setError(formError(err));
    } finally {
      setBusy(false);
    }
  }
  const named = kind !== "observable";
  return (
    <form class="card publish stack" onSubmit={submit} aria-label={t("intel.publish")}>
      <h2>{t("intel.publish")}</h2>
      <label>
        {t("intel.kind")}
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as AuthoredKind)}>
          {AUTHORED_KINDS.map((k) => (
            <option key={k} value={k}>
              {t(KIND_LABELS[k])}
            </option>
          ))}
        </select>
      </label>
      {named && (
        <label>
          {t("intel.title")}
          <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={300} dir="auto" />
        </label>
      )}
      {kind === "indicator" && (
        <label>
          {t("intel.pattern")}
          <input name="pattern" value={pattern} onInput={(e) => setPattern(e.currentTarget.value)} required dir="ltr" class="mono" placeholder="[ipv4-addr:value = '198.51.100.7']" />
          <span class="hint">{t("intel.pattern_hint")}</span>
        </label>
      )}
      {kind === "observable" && (
        <div class="row">
          <label>
            {t("intel.observable_type")}
            <select name="observable_type" value={observableType} onChange={(e) => setObservableType(e.currentTarget.value as ObservableType)}>
              {OBSERVABLE_TYPES.map((o) => (
                <option key={o} value={o}>
                  {t(OBSERVABLE_LABELS[o])}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t("intel.observable_value")}
            <input name="observable_value" value={observableValue} onInput={(e) => setObservableValue(e.currentTarget.value)} required dir="ltr" class="mono" />
          </label>
        </div>
      )}
      {kind === "attack-pattern" && (
        <label>
          {t("intel.external_id")}
          <input name="external_id" value={externalId} onInput={(e) => setExternalId(e.currentTarget.value)} dir="ltr" placeholder="T1190" maxLength={40} />
        </label>
      )}
      {named && (
        <label>
          {t("intel.description")}
          <textarea name="description" rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} dir="auto" />
        </label>
      )}
      <div class="field">
        <span>
          {t("intel.place")} {kind !== "report" && <span class="hint">({t("intel.optional")})</span>}
        </span>
        <LocationPicker value={place} onChange={setPlace} testId="intel-place-map" />
        {place && (
          <label>
            {t("intel.place_name")}
            <input name="place" value={placeName} onInput={(e) => setPlaceName(e.currentTarget.value)} dir="auto" maxLength={200} />
          </label>
        )}
      </div>
      <MarkingPicker value={marking} onChange={setMarking} />
      <ErrorText error={error} />
      <button class="primary" type="submit" data-testid="publish" disabled={busy}>
        {t("intel.publish_action")}
      </button>
    </form>
  );
}

const BUNDLE_ERRORS = { json: tk("intel.import_not_json"), bundle: tk("intel.import_not_bundle"), empty: tk("intel.import_empty") } as const;

/** A STIX 2.1 bundle file published under one marking, as a TAXII client would add it. */
function ImportBundle({ onDone }: { onDone: () => void }) {
  const [objects, setObjects] = useState<Record<string, unknown>[] | null>(null);
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<number | null>(null);
  async function pick(e: Event) {
    setDone(null);
    setError(null);
    setObjects(null);
    const file = (e.currentTarget as HTMLInputElement).files?.[0];
    if (!file) return;
    const read = bundleObjects(await file.text());
    if ("error" in read) setError(new Error(t(BUNDLE_ERRORS[read.error])));
    else setObjects(read.objects);
  }
  async function submit(e: Event) {
    e.preventDefault();
    if (!objects) return;
    setError(null);
    try {
      const made = await intel.publish(objects, marking);
      setDone(made.items.length);
      setObjects(null);
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card stack" onSubmit={submit} aria-label={t("intel.import")} data-testid="intel-import">
      <h2>{t("intel.import")}</h2>
      <input type="file" name="bundle" accept=".json,application/json,application/stix+json" onChange={pick} />
      {objects && <p data-testid="import-count">{t("intel.import_count", { count: objects.length })}</p>}
      {objects && <MarkingPicker value={marking} onChange={setMarking} />}
      <ErrorText error={error} />
      {done !== null && <p class="ok" role="status" data-testid="import-done">{t("intel.import_done", { count: done })}</p>}
      <div class="row-actions">
        <button class="primary" type="submit" disabled={!objects} data-testid="import-publish">
          {t("intel.import_action")}
        </button>
        <a class="button secondary" href={EXPORT_URL} download="concord-intel.json" data-testid="intel-export">
          {t("intel.export")}
        </a>
      </div>
    </form>
  );
}

/** Correlations: the same value reported by different nations, raised to whoever may see both. */
function Correlations() {
  const [list, setList] = useState<CrossCorrelation[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    const load = () => void intel.correlations().then(setList, setError);
    load();
    return realtime.on("intel", load);
  }, [realtime.resyncs.value]);
  return (
    <section class="card stack" data-testid="intel-correlations">
      <h2>{t("intel.correlations")}</h2>
      <ErrorText error={error} />
      {list && list.length === 0 && <p class="muted">{t("intel.none")}</p>}
      <ul class="plain">
        {(list ?? []).map((c) => (
          <li key={c.id} data-testid="correlation">
            <code>{c.kind}</code> <b dir="ltr">{c.value}</b>
            {c.objects.map((o) => (
              <span key={o.id}>
                {" "}
                ↔ <MarkingBadge marking={o.marking} compact />{" "}
                <a href={`/intel/${o.id}`} onClick={(e) => (e.preventDefault(), open(o))}>
                  <bdi>{o.title || stixTypeName(o.type)}</bdi>
                </a>
              </span>
            ))}
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Who may revoke or re-release an object: staff of its originating nation (domain/ownership.py). */
const INTEL_CHANGERS = ["commander", "liaison_officer", "analyst", "watch_officer"];

function Ownership({ detail, onChanged }: { detail: IntelDetail; onChanged: () => void }) {
  const o = detail.object;
  const [marking, setMarking] = useState<MarkingInput>({
    level: o.marking.level, releasable_to: o.marking.releasable_to.filter((n) => n !== o.marking.originator), tlp: o.marking.tlp, caveats: o.marking.caveats,
  });
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  async function release(e: Event) {
    e.preventDefault();
    setError(null);
    setSaved(false);
    try {
      await intel.setRelease(o.id, marking);
      setSaved(true);
      onChanged();
    } catch (err) {
      setError(err);
    }
  }
  async function revoke() {
    setError(null);
    try {
      await intel.revoke(o.id);
      setConfirming(false);
      onChanged();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section class="card stack" data-testid="intel-ownership">
      <h2>{t("intel.own_object")}</h2>
      <form class="stack" onSubmit={release} aria-label={t("intel.change_release")}>
        <MarkingPicker value={marking} onChange={setMarking} />
        <p class="hint">{t("intel.narrow_rule")}</p>
        <button class="secondary" type="submit" data-testid="save-release">
          {t("intel.change_release")}
        </button>
        {saved && <p class="ok" role="status">{t("intel.release_saved")}</p>}
      </form>
      {!o.revoked &&
        (confirming ? (
          <div class="row-actions">
            <span>{t("intel.revoke_confirm")}</span>
            <button class="danger" type="button" onClick={revoke} data-testid="confirm-revoke">
              {t("intel.revoke")}
            </button>
            <button class="secondary" type="button" onClick={() => setConfirming(false)}>
              {t("draw.cancel")}
            </button>
          </div>
        ) : (
          <button class="danger" type="button" onClick={() => setConfirming(true)} data-testid="revoke">
            {t("intel.revoke")}
          </button>
        ))}
      <ErrorText error={error} />
    </section>
  );
}

function Detail({ id }: { id: number }) {
  const [detail, setDetail] = useState<IntelDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  const load = () => void intel.get(id).then(setDetail, (err) => (setDetail(null), setError(err)));
  useEffect(load, [id]);
  if (!detail) return <ErrorText error={error} />;
  const o = detail.object;
  const own = o.marking.originator === me.value?.nation && INTEL_CHANGERS.some(hasRole);
  // The object itself may be a place; otherwise the places it refers to or is linked with.
  const self = typeof detail.stix["latitude"] === "number" && typeof detail.stix["longitude"] === "number"
    ? [{ latitude: Number(detail.stix["latitude"]), longitude: Number(detail.stix["longitude"]), name: o.title }]
    : [];
  const places = [...self, ...(detail.locations ?? []).map((l) => ({ latitude: l.latitude, longitude: l.longitude, name: l.object.title }))];
  return (
    <article class="intel-detail stack" data-testid="intel-detail">
      <div class="page-head">
        <button class="link" onClick={() => navigate("/intel")}>
          <span class="dir-arrow" aria-hidden="true">←</span> {t("nav.intel")}
        </button>
        <MarkingBadge marking={o.marking} />
      </div>
      <h1>
        <bdi>{o.title || o.stix_id}</bdi> {o.revoked && <span class="status status-cancelled" data-testid="revoked">{t("intel.revoked")}</span>}
      </h1>
      <dl class="facts">
        <dt>{t("intel.type")}</dt>
        <dd>{stixTypeName(o.type)}</dd>
        <dt>STIX</dt>
        <dd>
          <code>{o.stix_id}</code>
        </dd>
        <dt>{t("intel.originator")}</dt>
        <dd>{o.marking.originator}</dd>
        <dt>{t("intel.author")}</dt>
        <dd data-testid="intel-author">{detail.author ? <bdi>{detail.author.display_name}</bdi> : <span class="muted">—</span>}</dd>
        <dt>{t("intel.modified")}</dt>
        <dd>
          <Time value={o.version} />
        </dd>
        {typeof detail.stix["pattern"] === "string" && (
          <>
            <dt>{t("intel.pattern")}</dt>
            <dd>
              <code dir="ltr">{detail.stix["pattern"]}</code>
            </dd>
          </>
        )}
      </dl>
      {typeof detail.stix["description"] === "string" && <p class="description" dir="auto">{detail.stix["description"]}</p>}
      <section>
        <h2>{t("intel.place")}</h2>
        {places.length === 0 ? (
          <p class="muted" data-testid="intel-no-place">{t("intel.no_place")}</p>
        ) : (
          <>
            <LocationPicker places={places} testId="intel-detail-map" />
            <ul class="plain" data-testid="intel-places">
              {places.map((p, i) => (
                <li key={i}>
                  <bdi>{p.name}</bdi> <span dir="ltr" class="muted">{formatLatLon(L.latLng(p.latitude, p.longitude))}</span>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      {own && <Ownership detail={detail} onChanged={load} />}
      <section>
        <h2>{t("intel.relationships")}</h2>
        {detail.relationships.length === 0 ? (
          <p class="muted">{t("intel.none")}</p>
        ) : (
          <ul class="plain">
            {detail.relationships.map((r) => (
              <li key={r.id}>
                <MarkingBadge marking={r.marking} compact />{" "}
                <a href={`/intel/${r.id}`} onClick={(e) => (e.preventDefault(), open(r))}>
                  {stixTypeName(r.type)}: <bdi>{r.title}</bdi>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>{t("intel.correlations")}</h2>
        {detail.correlations.length === 0 ? (
          <p class="muted">{t("intel.none")}</p>
        ) : (
          <ul class="plain">
            {detail.correlations.map((c) => (
              <li key={c.id}>
                <code>{c.kind}</code> <b dir="ltr">{c.value}</b> ↔ <MarkingBadge marking={c.other.marking} compact />{" "}
                <a href={`/intel/${c.other.id}`} onClick={(e) => (e.preventDefault(), open(c.other))}>
                  <bdi>{c.other.title}</bdi>
                </a>
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>{t("intel.versions")}</h2>
        <ol class="plain">
          {detail.versions.map((v) => (
            <li key={v.version}>
              <Time value={v.version} /> <span class="muted">({t("intel.added")} <Time value={v.date_added} />)</span>
            </li>
          ))}
        </ol>
      </section>
      <details>
        <summary>STIX 2.1 JSON</summary>
        <pre dir="ltr" class="json">{JSON.stringify(detail.stix, null, 2)}</pre>
      </details>
    </article>
  );
}

/** /intel (feed + publish) and /intel/:id (detail). */
export function Intel() {
  const id = Number(route.value.params[0] ?? 0);
  return (
    <main class="page intel">
      {id ? (
        <Detail id={id} />
      ) : (
        <>
          <h1>{t("nav.intel")}</h1>
          <div class="intel-layout">
            <div class="stack">
              <Feed />
              <Correlations />
            </div>
            <div class="stack">
              <Publish onDone={(newId) => navigate(`/intel/${newId}`)} />
              <ImportBundle onDone={() => undefined} />
            </div>
          </div>
        </>
      )}
    </main>
  );
}
