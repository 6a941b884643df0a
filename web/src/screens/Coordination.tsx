import { useEffect, useState } from "preact/hooks";
import { offers } from "../capabilities";
import { now } from "../clock";
import { Assignee } from "../components/IncidentAssignee";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { defaultMarking, MarkingPicker, withAddressed, type MarkingInput } from "../components/MarkingPicker";
import { categoryName, timelineName } from "../codes";
import { type Column, SortableTable } from "../components/SortableTable";
import { Time } from "../components/Time";
import { UtcInput } from "../components/UtcInput";
import { personName } from "../features/directory";
import {
  incidents, INCIDENT_STATUS_KEYS, PRIORITY_KEYS, RFI_STATUS_KEYS, rfis, type Category, type Incident, type Rfi,
} from "../features/coord";
import { countdown } from "../format";
import { lang, t } from "../i18n";
import { realtime } from "../realtime";
import { navigate, route } from "../router";
import { me, nations } from "../session";

const go = (to: string) => (e: Event) => (e.preventDefault(), navigate(to));
const toInput = (d: Date) => d.toISOString().slice(0, 16);

function Tabs({ current }: { current: string }) {
  const tabs: [string, string][] = [
    ["incidents", t("coord.incidents")],
    ["inbox", t("coord.rfi_inbox")],
    ["outbox", t("coord.rfi_outbox")],
  ];
  return (
    <div class="tabs" role="tablist">
      {tabs.map(([id, label]) => (
        <button key={id} role="tab" aria-selected={current === id} class={current === id ? "active" : ""} onClick={() => navigate(id === "incidents" ? "/incidents" : `/incidents/rfi/${id}`)}>
          {label}
        </button>
      ))}
    </div>
  );
}

function Deadline({ at }: { at: string }) {
  const c = countdown(at, now.value);
  return (
    <span class={c.overdue ? "deadline overdue" : "deadline"} title={at}>
      <Time value={at} /> · {c.text}
    </span>
  );
}

function IncidentList() {
  const [list, setList] = useState<Incident[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = () => void incidents.list().then(setList, setError);
  useEffect(() => {
    load();
    return realtime.on("incident", load);
  }, [realtime.resyncs.value]);
  const columns: Column<Incident>[] = [
    { key: "marking", label: t("marking.title"), render: (i) => <MarkingBadge marking={i.marking} compact /> },
    { key: "title", label: t("intel.title"), sort: (i) => i.title, render: (i) => <a href={`/incidents/${i.id}`} onClick={go(`/incidents/${i.id}`)}>{i.title}</a> },
    { key: "category", label: t("incident.category"), sort: (i) => i.category, render: (i) => categoryName(i.category, i.category_label) },
    { key: "reporter", label: t("incident.reporter"), sort: (i) => i.reporter, render: (i) => i.reporter },
    { key: "occurred", label: t("incident.occurred"), sort: (i) => i.occurred_from, render: (i) => <Time value={i.occurred_from} /> },
    { key: "status", label: t("ops.status"), sort: (i) => i.status, render: (i) => <span class={`status status-${i.status}`}>{t(INCIDENT_STATUS_KEYS[i.status])}</span> },
    { key: "awaiting", label: t("incident.awaiting"), render: (i) => i.awaiting_acknowledgement.join(", ") || "—" },
  ];
  return (
    <div class="coord-layout">
      <div>
        <ErrorText error={error} />
        <SortableTable rows={list} columns={columns} rowKey={(i) => i.id} testId="incidents" empty={t("intel.none")} />
      </div>
      <ReportIncident onDone={(id) => navigate(`/incidents/${id}`)} />
    </div>
  );
}

function ReportIncident({ onDone }: { onDone: (id: number) => void }) {
  const own = me.value?.nation ?? "";
  const [categories, setCategories] = useState<Category[]>([]);
  const [category, setCategory] = useState("");
  const [title, setTitle] = useState("");
  const [description, setDescription] = useState("");
  const [lat, setLat] = useState("37.1");
  const [lon, setLon] = useState("42.9");
  const [occurred, setOccurred] = useState(toInput(new Date()));
  const [partners, setPartners] = useState<string[]>([]);
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    void incidents.categories().then((c) => {
      setCategories(c);
      setCategory(c[0]?.code ?? "");
    }, setError);
  }, []);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      const made = await incidents.report({
        category, title, description, location: { type: "Point", coordinates: [Number(lon), Number(lat)] },
        occurred_from: `${occurred}:00Z`, counts: {}, marking: withAddressed(marking, partners), partners,
      });
      onDone(made.id);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card stack" onSubmit={submit} aria-label={t("incident.report")}>
      <h2>{t("incident.report")}</h2>
      <label>
        {t("incident.category")}
        <select value={category} onChange={(e) => setCategory(e.currentTarget.value)}>
          {categories.map((c) => (
            <option key={c.code} value={c.code}>
              {c.names[lang.value] ?? c.names["en"] ?? c.code}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("intel.title")}
        <input name="title" value={title} onInput={(e) => setTitle(e.currentTarget.value)} required maxLength={200} />
      </label>
      <label>
        {t("intel.description")}
        <textarea rows={3} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
      </label>
      <div class="row">
        <label>
          {t("intel.latitude")}
          <input type="number" step="0.0001" value={lat} onInput={(e) => setLat(e.currentTarget.value)} dir="ltr" required />
        </label>
        <label>
          {t("intel.longitude")}
          <input type="number" step="0.0001" value={lon} onInput={(e) => setLon(e.currentTarget.value)} dir="ltr" required />
        </label>
      </div>
      <label>
        {t("incident.occurred")} (Z)
        <UtcInput value={occurred} onInput={setOccurred} name="occurred_from" required />
      </label>
      <div class="field">
        <span>{t("incident.partners")}</span>
        <div class="chips">
          {nations.value.filter((n) => n.code !== own).map((n) => (
            <label key={n.code} class="check">
              <input type="checkbox" name={`partner-${n.code}`} checked={partners.includes(n.code)} onChange={() => setPartners(partners.includes(n.code) ? partners.filter((c) => c !== n.code) : [...partners, n.code])} />
              {n.code}
            </label>
          ))}
        </div>
      </div>
      <MarkingPicker value={marking} onChange={setMarking} addressed={partners} />
      <ErrorText error={error} />
      <button class="primary" type="submit" disabled={!category}>
        {t("incident.report")}
      </button>
    </form>
  );
}

function IncidentDetail({ id }: { id: number }) {
  const [incident, setIncident] = useState<Incident | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [text, setText] = useState("");
  const load = () => void incidents.get(id).then(setIncident, setError);
  useEffect(() => {
    load();
    return realtime.on("incident", load);
  }, [id, realtime.resyncs.value]);
  async function act(run: () => Promise<Incident>) {
    setError(null);
    try {
      setIncident(await run());
      setText("");
    } catch (err) {
      setError(err);
    }
  }
  if (!incident) return <ErrorText error={error} />;
  const own = me.value?.nation ?? "";
  return (
    <article class="stack" data-testid="incident">
      <div class="page-head">
        <button class="link" onClick={() => navigate("/incidents")}>
          <span class="dir-arrow" aria-hidden="true">←</span> {t("coord.incidents")}
        </button>
        <MarkingBadge marking={incident.marking} />
      </div>
      <h1>
        <bdi>{incident.title}</bdi> <span class={`status status-${incident.status}`}>{t(INCIDENT_STATUS_KEYS[incident.status])}</span>
      </h1>
      <dl class="facts">
        <dt>{t("incident.category")}</dt>
        <dd>{categoryName(incident.category, incident.category_label)}</dd>
        <dt>{t("incident.reporter")}</dt>
        <dd>{incident.reporter}</dd>
        <dt>{t("incident.occurred")}</dt>
        <dd>
          <Time value={incident.occurred_from} />
        </dd>
        <dt>{t("incident.awaiting")}</dt>
        <dd>{incident.awaiting_acknowledgement.join(", ") || "—"}</dd>
        <dt>{t("incident.assignees")}</dt>
        <dd data-testid="incident-assignees">
          {/* Each concerned nation's assignee; one's own is picked here (the same rule as Administration). */}
          {[incident.reporter, ...incident.partners.filter((n) => n !== incident.reporter)].map((nation) => (
            <div key={nation} class="assignee-line">
              <code dir="ltr">{nation}</code>{" "}
              {nation === own ? <Assignee incident={incident} onChange={load} />
                : <bdi>{incident.assignees[nation] !== undefined ? personName(incident.assignees[nation]) : t("admin.unassigned")}</bdi>}
            </div>
          ))}
        </dd>
      </dl>
      {incident.description && <p class="description" dir="auto">{incident.description}</p>}
      <div class="row-actions">
        {incident.awaiting_acknowledgement.includes(own) && (
          <button class="primary" onClick={() => void act(() => incidents.acknowledge(id))}>
            {t("alert.acknowledge")}
          </button>
        )}
        {incident.status !== "closed" && incident.status !== "under_investigation" && (
          <button class="secondary" onClick={() => void act(() => incidents.investigate(id))}>
            {t("incident.investigate")}
          </button>
        )}
      </div>
      <ErrorText error={error} />
      <section>
        <h2>{t("incident.timeline")}</h2>
        <ol class="timeline-list">
          {(incident.timeline ?? []).map((e, i) => (
            <li key={i}>
              <Time value={e.at} /> <b>{e.nation}</b> {e.person_id ? personName(e.person_id) : ""} · <span data-kind={e.kind}>{timelineName(e.kind)}</span> {e.text && <span dir="auto">— {e.text}</span>}
            </li>
          ))}
        </ol>
      </section>
      {incident.status !== "closed" && (
        <form class="inline-form row" onSubmit={(e) => (e.preventDefault(), void act(() => incidents.comment(id, text)))}>
          <input value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder={t("incident.comment")} aria-label={t("incident.comment")} required />
          <button class="secondary" type="submit">
            {t("incident.comment")}
          </button>
          <button class="secondary" type="button" onClick={() => text && void act(() => incidents.close(id, text))}>
            {t("incident.close")}
          </button>
        </form>
      )}
    </article>
  );
}

function RfiList({ box }: { box: "inbox" | "outbox" }) {
  const [list, setList] = useState<Rfi[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = () => void rfis.list(box).then(setList, setError);
  useEffect(() => {
    load();
    return realtime.on("rfi", load);
  }, [box, realtime.resyncs.value]);
  const columns: Column<Rfi>[] = [
    { key: "marking", label: t("marking.title"), render: (r) => <MarkingBadge marking={r.marking} compact /> },
    { key: "priority", label: t("rfi.priority"), sort: (r) => ["urgent", "high", "routine", "low"].indexOf(r.priority), render: (r) => <span class={`prio prio-${r.priority}`}>{t(PRIORITY_KEYS[r.priority])}</span> },
    { key: "subject", label: t("rfi.subject"), sort: (r) => r.subject, render: (r) => <a href={`/incidents/rfi/${r.id}`} onClick={go(`/incidents/rfi/${r.id}`)}>{r.subject}</a> },
    { key: "who", label: box === "inbox" ? t("rfi.from") : t("rfi.to"), render: (r) => (box === "inbox" ? r.requester : r.recipients.join(", ")) },
    { key: "ltiov", label: t("rfi.ltiov"), sort: (r) => r.ltiov, render: (r) => <Deadline at={r.ltiov} /> },
    { key: "status", label: t("ops.status"), sort: (r) => r.status, render: (r) => <span class={`status status-${r.status}`}>{t(RFI_STATUS_KEYS[r.status])}</span> },
  ];
  return (
    <div class="coord-layout">
      <div>
        <ErrorText error={error} />
        <SortableTable rows={list} columns={columns} rowKey={(r) => r.id} testId={`rfi-${box}`} empty={t("intel.none")} />
      </div>
      {box === "outbox" && <NewRfi onDone={(id) => navigate(`/incidents/rfi/${id}`)} />}
    </div>
  );
}

type SitrepPeriod = "yesterday" | "shift" | "12h" | "24h" | "day";

/** The SITREP's period, as the server takes it: a UTC day (date=) or [from, until). A watch runs
 * 0600Z-1800Z and 1800Z-0600Z: "this shift" is the one running now, up to now. */
export function sitrepQuery(period: SitrepPeriod, now: Date, day?: string): string {
  const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, "Z");
  const hours = (h: number) => new Date(now.getTime() - h * 3600_000);
  if (period === "day" && day) return `?date=${day}`;
  if (period === "12h" || period === "24h") return `?from=${iso(hours(period === "12h" ? 12 : 24))}&until=${iso(now)}`;
  if (period === "shift") {
    const start = new Date(now);
    const h = now.getUTCHours();
    start.setUTCHours(h >= 18 ? 18 : h >= 6 ? 6 : -6, 0, 0, 0);
    return `?from=${iso(start)}&until=${iso(now)}`;
  }
  return "";
}

function SitrepLink() {
  const [period, setPeriod] = useState<SitrepPeriod>("yesterday");
  const [day, setDay] = useState(new Date(Date.now() - 86400_000).toISOString().slice(0, 10));
  const href = `/api/sitrep.pdf${sitrepQuery(period, now.value, day)}`;
  return (
    <span class="sitrep-pick">
      <select aria-label={t("sitrep.period")} value={period} onChange={(e) => setPeriod(e.currentTarget.value as SitrepPeriod)}
              data-testid="sitrep-period">
        <option value="yesterday">{t("sitrep.yesterday")}</option>
        <option value="shift">{t("sitrep.shift")}</option>
        <option value="12h">{t("sitrep.last12")}</option>
        <option value="24h">{t("sitrep.last24")}</option>
        <option value="day">{t("sitrep.day")}</option>
      </select>
      {period === "day" && (
        <input type="date" value={day} onInput={(e) => setDay(e.currentTarget.value)} dir="ltr" aria-label={t("sitrep.day")} />
      )}
      <a href={href} target="_blank" rel="noopener" data-testid="sitrep">
        {t("coord.sitrep")} (PDF) ↗
      </a>
    </span>
  );
}

function NewRfi({ onDone }: { onDone: (id: number) => void }) {
  const own = me.value?.nation ?? "";
  const [recipients, setRecipients] = useState<string[]>([]);
  const [subject, setSubject] = useState("");
  const [question, setQuestion] = useState("");
  const [priority, setPriority] = useState("routine");
  const [ltiov, setLtiov] = useState(toInput(new Date(Date.now() + 24 * 3600_000)));
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      const made = await rfis.submit({ recipients, subject, question, priority, ltiov: `${ltiov}:00Z`, marking: withAddressed(marking, recipients) });
      onDone(made.rfi.id);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card stack" onSubmit={submit} aria-label={t("rfi.new")}>
      <h2>{t("rfi.new")}</h2>
      <div class="field">
        <span>{t("rfi.to")}</span>
        <div class="chips">
          {nations.value.filter((n) => n.code !== own).map((n) => (
            <label key={n.code} class="check">
              <input type="checkbox" name={`to-${n.code}`} checked={recipients.includes(n.code)} onChange={() => setRecipients(recipients.includes(n.code) ? recipients.filter((c) => c !== n.code) : [...recipients, n.code])} />
              {n.code}
            </label>
          ))}
        </div>
      </div>
      <label>
        {t("rfi.subject")}
        <input value={subject} onInput={(e) => setSubject(e.currentTarget.value)} required maxLength={200} />
      </label>
      <label>
        {t("rfi.question")}
        <textarea rows={3} value={question} onInput={(e) => setQuestion(e.currentTarget.value)} required />
      </label>
      <div class="row">
        <label>
          {t("rfi.priority")}
          <select value={priority} onChange={(e) => setPriority(e.currentTarget.value)}>
            {(["urgent", "high", "routine", "low"] as const).map((p) => (
              <option key={p} value={p}>
                {t(PRIORITY_KEYS[p])}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t("rfi.ltiov")} (Z)
          <UtcInput value={ltiov} onInput={setLtiov} name="ltiov" required />
        </label>
      </div>
      <MarkingPicker value={marking} onChange={setMarking} addressed={recipients} />
      <ErrorText error={error} />
      <button class="primary" type="submit">
        {t("rfi.send")}
      </button>
    </form>
  );
}

function RfiDetail({ id }: { id: number }) {
  const [rfi, setRfi] = useState<Rfi | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [text, setText] = useState("");
  const [marking, setMarking] = useState<MarkingInput>(defaultMarking());
  const load = () => void rfis.get(id).then(setRfi, setError);
  useEffect(() => {
    load();
    return realtime.on("rfi", load);
  }, [id, realtime.resyncs.value]);
  async function act(run: () => Promise<Rfi>) {
    setError(null);
    try {
      setRfi(await run());
      setText("");
    } catch (err) {
      setError(err);
    }
  }
  if (!rfi) return <ErrorText error={error} />;
  const own = me.value?.nation ?? "";
  const mine = rfi.taskings.find((x) => x.nation === own);
  const requester = rfi.requester === own;
  return (
    <article class="stack" data-testid="rfi">
      <div class="page-head">
        <button class="link" onClick={() => navigate(`/incidents/rfi/${requester ? "outbox" : "inbox"}`)}>
          <span class="dir-arrow" aria-hidden="true">←</span> {requester ? t("coord.rfi_outbox") : t("coord.rfi_inbox")}
        </button>
        <MarkingBadge marking={rfi.marking} />
      </div>
      <h1>
        <bdi>{rfi.subject}</bdi> <span class={`status status-${rfi.status}`}>{t(RFI_STATUS_KEYS[rfi.status])}</span>
      </h1>
      <dl class="facts">
        <dt>{t("rfi.from")}</dt>
        <dd>{rfi.requester}</dd>
        <dt>{t("rfi.priority")}</dt>
        <dd>{t(PRIORITY_KEYS[rfi.priority])}</dd>
        <dt>{t("rfi.ltiov")}</dt>
        <dd>
          <Deadline at={rfi.ltiov} />
        </dd>
        <dt>{t("rfi.taskings")}</dt>
        <dd class="chips">
          {rfi.taskings.map((x) => (
            <span key={x.nation} class={`chip ${x.status === "answered" ? "approved" : x.status === "rejected" ? "rejected" : "pending"}`} title={x.reason}>
              <b>{x.nation}</b> {t(RFI_STATUS_KEYS[x.status as Rfi["status"]] ?? "rfi.status.submitted")}
            </span>
          ))}
        </dd>
      </dl>
      <p class="description" dir="auto">{rfi.question}</p>
      <section>
        <h2>{t("rfi.answers")}</h2>
        <ol class="plain">
          {rfi.answers.map((a, i) => (
            <li key={i} class="card">
              <MarkingBadge marking={a.marking} compact /> <b>{a.nation}</b> {personName(a.person_id)} · <Time value={a.at} />
              <p dir="auto">{a.text}</p>
            </li>
          ))}
        </ol>
      </section>
      <div class="row-actions">
        {mine?.status === "submitted" && (
          <>
            <button class="primary" onClick={() => void act(() => rfis.accept(id))}>
              {t("rfi.accept")}
            </button>
            <button class="danger" onClick={() => text && void act(() => rfis.reject(id, text))} title={t("ops.reason")}>
              {t("ops.reject")}
            </button>
          </>
        )}
        {requester && rfi.status === "answered" && (
          <button class="secondary" onClick={() => void act(() => rfis.close(id))}>
            {t("incident.close")}
          </button>
        )}
        {requester && !["closed", "withdrawn"].includes(rfi.status) && (
          <button class="secondary" onClick={() => void act(() => rfis.withdraw(id))}>
            {t("rfi.withdraw")}
          </button>
        )}
      </div>
      {mine && ["accepted", "answered", "submitted"].includes(mine.status) && (
        <form class="card stack" onSubmit={(e) => (e.preventDefault(), void act(() => rfis.answer(id, text, withAddressed(marking, [rfi.requester]))))}>
          <label>
            {t("rfi.answer")}
            <textarea rows={3} value={text} onInput={(e) => setText(e.currentTarget.value)} required />
          </label>
          <MarkingPicker value={marking} onChange={setMarking} addressed={[rfi.requester]} />
          <button class="primary" type="submit">
            {t("rfi.answer")}
          </button>
        </form>
      )}
      <ErrorText error={error} />
    </article>
  );
}

/** /incidents, /incidents/:id, /incidents/rfi/inbox|outbox, /incidents/rfi/:id */
export function Coordination() {
  const [first, second] = route.value.params;
  let body;
  let tab = "incidents";
  if (first === "rfi") {
    if (second === "inbox" || second === "outbox" || !second) {
      tab = second ?? "inbox";
      body = <RfiList box={tab as "inbox" | "outbox"} />;
    } else {
      tab = "";
      body = <RfiDetail id={Number(second)} />;
    }
  } else if (first) {
    tab = "";
    body = <IncidentDetail id={Number(first)} />;
  } else {
    body = <IncidentList />;
  }
  return (
    <main class="page coordination">
      <div class="page-head">
        <h1>{t("nav.incidents")}</h1>
        {offers("/api/sitrep.pdf") && <SitrepLink />}
      </div>
      <Tabs current={tab} />
      {body}
    </main>
  );
}
