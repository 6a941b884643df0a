import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { Time } from "../components/Time";
import { personName } from "../features/directory";
import { LANG_NAMES, LANGS, lang, t, tk, type Lang } from "../i18n";
import type { Marking } from "../markings";
import { realtime } from "../realtime";
import { hasRole, me, nations } from "../session";

interface Release {
  id: number;
  proposer: string;
  concerned: string[];
  texts: Record<string, { title: string; body: string }>;
  content_hash: string;
  status: "awaiting_approval" | "published" | "withdrawn";
  approvals: { nation: string; person_id: number | null; at: string }[];
  awaiting: string[];
  proposed_at: string;
  published_at: string | null;
  version: number;
  marking: Marking;
}

const STATUS_KEYS: Record<Release["status"], string> = {
  awaiting_approval: tk("release.status.awaiting_approval"),
  published: tk("release.status.published"),
  withdrawn: tk("release.status.withdrawn"),
};

/** How the statement will read on the public page, in one language, with the approval chips. */
function ReleaseCard({ release, onChange }: { release: Release; onChange: () => void }) {
  const [shown, setShown] = useState<Lang>(lang.value);
  const [error, setError] = useState<unknown>(null);
  const own = me.value?.nation ?? "";
  const text = release.texts[shown] ?? release.texts["en"];
  async function act(path: string, body?: unknown) {
    setError(null);
    try {
      await api.post(path, body);
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <article class="card release stack" data-testid="release">
      <div class="page-head">
        <span>
          <span class={`status status-${release.status}`}>{t(STATUS_KEYS[release.status])}</span> <span class="muted">#{release.id} · v{release.version}</span>
        </span>
        <MarkingBadge marking={release.marking} compact />
      </div>
      <div class="chips">
        {release.concerned.map((n) => {
          const a = release.approvals.find((x) => x.nation === n);
          return (
            <span key={n} class={`chip ${a ? "approved" : "pending"}`} data-testid={`release-${release.id}-${n}`}>
              <b>{n}</b> {a ? <>✓ {personName(a.person_id)} · <Time value={a.at} /></> : `… ${t("approval.pending")}`}
            </span>
          );
        })}
      </div>
      <div class="tabs small">
        {LANGS.map((l) => (
          <button key={l} class={shown === l ? "active" : ""} onClick={() => setShown(l)}>
            {l.toUpperCase()}
          </button>
        ))}
      </div>
      {text && (
        <div class="public-preview" dir={shown === "ar" ? "rtl" : "ltr"} lang={shown}>
          <h3>{text.title}</h3>
          <p>{text.body}</p>
        </div>
      )}
      <div class="muted hash" dir="ltr">{release.content_hash}</div>
      <div class="row-actions">
        {release.status === "awaiting_approval" && release.awaiting.includes(own) && hasRole("commander") && (
          <button class="primary" onClick={() => void act(`/api/releases/${release.id}/approve`, { content_hash: release.content_hash })}>
            {t("release.approve")}
          </button>
        )}
        {release.status === "awaiting_approval" && release.proposer === own && (
          <button class="secondary" onClick={() => void act(`/api/releases/${release.id}/withdraw`)}>
            {t("rfi.withdraw")}
          </button>
        )}
      </div>
      <ErrorText error={error} />
    </article>
  );
}

function Propose({ onDone }: { onDone: () => void }) {
  const own = me.value?.nation ?? "";
  const [texts, setTexts] = useState<Record<Lang, { title: string; body: string }>>({ en: { title: "", body: "" }, tr: { title: "", body: "" }, ar: { title: "", body: "" } });
  const [concerned, setConcerned] = useState<string[]>(nations.value.map((n) => n.code));
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api.post("/api/releases", { concerned: [...new Set([own, ...concerned])], texts, references: [] });
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card stack" onSubmit={submit} aria-label={t("release.propose")}>
      <h2>{t("release.propose")}</h2>
      <div class="chips">
        {nations.value.map((n) => (
          <label key={n.code} class="check">
            <input type="checkbox" checked={n.code === own || concerned.includes(n.code)} disabled={n.code === own} onChange={() => setConcerned(concerned.includes(n.code) ? concerned.filter((c) => c !== n.code) : [...concerned, n.code])} />
            {n.code}
          </label>
        ))}
      </div>
      {LANGS.map((l) => (
        <fieldset key={l} class="marking-picker" lang={l} dir={l === "ar" ? "rtl" : "ltr"}>
          <legend>{LANG_NAMES[l]}</legend>
          <label>
            <span lang={lang.value}>{t("intel.title")}</span>
            <input aria-label={`${t("intel.title")} (${l})`} value={texts[l].title} onInput={(e) => setTexts({ ...texts, [l]: { ...texts[l], title: e.currentTarget.value } })} required />
          </label>
          <label>
            <span lang={lang.value}>{t("release.body")}</span>
            <textarea aria-label={`${t("release.body")} (${l})`} rows={3} value={texts[l].body} onInput={(e) => setTexts({ ...texts, [l]: { ...texts[l], body: e.currentTarget.value } })} required />
          </label>
        </fieldset>
      ))}
      <ErrorText error={error} />
      <button class="primary" type="submit">
        {t("release.propose")}
      </button>
    </form>
  );
}

/** Joint public releases: proposals with per-nation approval and a preview of the public page. */
export function Releases() {
  const [list, setList] = useState<Release[]>([]);
  const [error, setError] = useState<unknown>(null);
  const load = () => void api.get<Release[]>("/api/releases").then(setList, setError);
  useEffect(() => {
    load();
    return realtime.on("release", load);
  }, [realtime.resyncs.value]);
  return (
    <main class="page releases">
      <div class="page-head">
        <h1>{t("nav.releases")}</h1>
        <a href="/public/" target="_blank" rel="noopener">
          {t("release.public_page")} ↗
        </a>
      </div>
      <ErrorText error={error} />
      <div class="coord-layout">
        <div class="stack">
          {list.length === 0 && <p class="muted">{t("intel.none")}</p>}
          {list.map((r) => (
            <ReleaseCard key={r.id} release={r} onChange={load} />
          ))}
        </div>
        <Propose onDone={load} />
      </div>
    </main>
  );
}
