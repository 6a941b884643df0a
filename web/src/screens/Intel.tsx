import { stixTypeName } from "../codes";
import { useEffect, useState } from "preact/hooks";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { defaultMarking, MarkingPicker, type MarkingInput } from "../components/MarkingPicker";
import { type Column, SortableTable } from "../components/SortableTable";
import { Time } from "../components/Time";
import { intel, reportObjects, type IntelDetail, type IntelFilter, type IntelObject } from "../features/intel";
import { t } from "../i18n";
import { LEVELS, levelLabel } from "../markings";
import { realtime } from "../realtime";
import { navigate, route } from "../router";
import { nations } from "../session";

const TYPES = ["report", "indicator", "observed-data", "sighting", "location", "threat-actor", "relationship", "note"];

function open(o: IntelObject) {
  navigate(`/intel/${o.id}`);
}

function Feed() {
  const [filter, setFilter] = useState<IntelFilter>({});
  const [text, setText] = useState("");
  const [items, setItems] = useState<IntelObject[]>([]);
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      setItems((await intel.list(filter)).items);
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    return realtime.on("intel", () => void load());
  }, [JSON.stringify(filter), realtime.resyncs.value]);
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
      <SortableTable rows={items} columns={columns} rowKey={(o) => o.id} testId="intel-feed" empty={t("intel.none")} />
    </>
  );
}

function Publish({ onDone }: { onDone: (id: number) => void }) {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [placeName, setPlaceName] = useState("");
  const [lat, setLat] = useState("37.0");
  const [lon, setLon] = useState("43.0");
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const made = await intel.publish(
        reportObjects({ name, description, placeName, latitude: Number(lat), longitude: Number(lon) }),
        marking,
      );
      const report = made.items.find((o) => o.type === "report") ?? made.items[0];
      if (report) onDone(report.id);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card publish stack" onSubmit={submit} aria-label={t("intel.publish")}>
      <h2>{t("intel.publish")}</h2>
      <label>
        {t("intel.title")}
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={300} />
      </label>
      <label>
        {t("intel.description")}
        <textarea name="description" rows={4} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label>
          {t("intel.place")}
          <input name="place" value={placeName} onInput={(e) => setPlaceName(e.currentTarget.value)} />
        </label>
        <label>
          {t("intel.latitude")}
          <input name="latitude" type="number" step="0.0001" min="-90" max="90" value={lat} onInput={(e) => setLat(e.currentTarget.value)} required dir="ltr" />
        </label>
        <label>
          {t("intel.longitude")}
          <input name="longitude" type="number" step="0.0001" min="-180" max="180" value={lon} onInput={(e) => setLon(e.currentTarget.value)} required dir="ltr" />
        </label>
      </div>
      <MarkingPicker value={marking} onChange={setMarking} />
      <ErrorText error={error} />
      <button class="primary" type="submit" data-testid="publish">
        {t("intel.publish")}
      </button>
    </form>
  );
}

function Detail({ id }: { id: number }) {
  const [detail, setDetail] = useState<IntelDetail | null>(null);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void intel.get(id).then(setDetail, setError);
  }, [id]);
  if (!detail) return <ErrorText error={error} />;
  const o = detail.object;
  return (
    <article class="intel-detail stack" data-testid="intel-detail">
      <div class="page-head">
        <button class="link" onClick={() => navigate("/intel")}>
          <span class="dir-arrow" aria-hidden="true">←</span> {t("nav.intel")}
        </button>
        <MarkingBadge marking={o.marking} />
      </div>
      <h1>
        <bdi>{o.title || o.stix_id}</bdi> {o.revoked && <span class="status status-cancelled">{t("intel.revoked")}</span>}
      </h1>
      <dl class="facts">
        <dt>STIX</dt>
        <dd>
          <code>{o.stix_id}</code>
        </dd>
        <dt>{t("intel.originator")}</dt>
        <dd>{o.marking.originator}</dd>
        <dt>{t("intel.modified")}</dt>
        <dd>
          <Time value={o.version} />
        </dd>
      </dl>
      {typeof detail.stix["description"] === "string" && <p class="description" dir="auto">{detail.stix["description"]}</p>}
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
                  {c.other.title}
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
            <div>
              <Feed />
            </div>
            <Publish onDone={(newId) => navigate(`/intel/${newId}`)} />
          </div>
        </>
      )}
    </main>
  );
}
