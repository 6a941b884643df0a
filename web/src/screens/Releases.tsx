import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { Time } from "../components/Time";
import { personName } from "../features/directory";
import { LANG_NAMES, LANGS, lang, locale, t, tk, type Lang } from "../i18n";
import type { Marking } from "../markings";
import { realtime } from "../realtime";
import { hasRole, me, nations } from "../session";

interface Release {
  id: number;
  proposer: string;
  concerned: string[];
  texts: Record<string, { title: string; body: string }>;
  /** The public languages not yet written (issue #25 item 13): nobody approves until none is left. */
  to_translate: string[];
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
  // The reader's language when written; otherwise the first language the statement is written in.
  const [shown, setShown] = useState<Lang>(release.texts[lang.value] ? lang.value : (LANGS.find((l) => release.texts[l]) ?? lang.value));
  const [error, setError] = useState<unknown>(null);
  const own = me.value?.nation ?? "";
  const text = release.texts[shown];
  const [translating, setTranslating] = useState(false);
  const drafter = hasRole("commander") || hasRole("liaison_officer");
  const missing = release.to_translate ?? [];
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
    <article class="card release stack" data-testid="release" data-id={release.id}>
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
          <button key={l} class={shown === l ? "active" : ""} onClick={() => setShown(l)}
            title={missing.includes(l) ? t("release.to_translate") : undefined} data-missing={missing.includes(l)}>
            {l.toUpperCase()}{missing.includes(l) ? " ·" : ""}
          </button>
        ))}
      </div>
      {text ? (
        <div class="public-preview" dir={shown === "ar" ? "rtl" : "ltr"} lang={shown}>
          <h3>{text.title}</h3>
          <p>{text.body}</p>
        </div>
      ) : (
        <p class="muted" data-testid="release-to-translate">{t("release.to_translate_in", { language: LANG_NAMES[shown] })}</p>
      )}
      {missing.length > 0 && release.status === "awaiting_approval" && (
        <p class="chip pending" data-testid="release-missing">
          {t("release.waits_for_translation", { languages: new Intl.ListFormat(locale.value).format(missing.map((l) => LANG_NAMES[l as Lang] ?? l)) })}
        </p>
      )}
      {translating && (
        <Translate release={release} onDone={() => (setTranslating(false), onChange())} onCancel={() => setTranslating(false)} />
      )}
      <div class="muted hash" dir="ltr">{release.content_hash}</div>
      <div class="row-actions">
        {release.status === "awaiting_approval" && release.awaiting.includes(own) && hasRole("commander") && (
          <button class="primary" disabled={missing.length > 0} title={missing.length > 0 ? t("release.approve_after_translation") : undefined}
            onClick={() => void act(`/api/releases/${release.id}/approve`, { content_hash: release.content_hash })}>
            {t("release.approve")}
          </button>
        )}
        {release.status === "awaiting_approval" && missing.length > 0 && drafter && release.concerned.includes(own) && !translating && (
          <button class="secondary" data-testid="release-translate" onClick={() => setTranslating(true)}>{t("release.translate")}</button>
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

type Texts = Record<Lang, { title: string; body: string }>;
const EMPTY: Texts = { en: { title: "", body: "" }, tr: { title: "", body: "" }, ar: { title: "", body: "" } };

/** The languages written: a title or a text makes the language present, and then both are needed. */
function written(texts: Texts): Partial<Texts> {
  return Object.fromEntries(LANGS.filter((l) => texts[l].title.trim() || texts[l].body.trim()).map((l) => [l, texts[l]]));
}

/** One fieldset per language; a language left empty is marked "to be translated". */
function LanguageFields({ texts, setTexts, only }: { texts: Texts; setTexts: (t: Texts) => void; only?: readonly string[] }) {
  return (
    <>
      {LANGS.filter((l) => !only || only.includes(l)).map((l) => {
        const present = Boolean(texts[l].title.trim() || texts[l].body.trim());
        return (
          <fieldset key={l} class="marking-picker" lang={l} dir={l === "ar" ? "rtl" : "ltr"} data-lang={l}>
            <legend>
              {LANG_NAMES[l]}{" "}
              {!present && <span class="muted" lang={lang.value} data-testid="to-translate">({t("release.to_translate")})</span>}
            </legend>
            <label>
              <span lang={lang.value}>{t("intel.title")}</span>
              <input aria-label={`${t("intel.title")} (${l})`} value={texts[l].title} required={present}
                onInput={(e) => setTexts({ ...texts, [l]: { ...texts[l], title: e.currentTarget.value } })} />
            </label>
            <label>
              <span lang={lang.value}>{t("release.body")}</span>
              <textarea aria-label={`${t("release.body")} (${l})`} rows={3} value={texts[l].body} required={present}
                onInput={(e) => setTexts({ ...texts, [l]: { ...texts[l], body: e.currentTarget.value } })} />
            </label>
          </fieldset>
        );
      })}
    </>
  );
}

/** A concerned nation adds the missing languages (an edit: approvals given so far start again). */
function Translate({ release, onDone, onCancel }: { release: Release; onDone: () => void; onCancel: () => void }) {
  const [texts, setTexts] = useState<Texts>({ ...EMPTY, ...(release.texts as Partial<Texts>) });
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.put(`/api/releases/${release.id}`, { texts: written(texts) });
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="stack" onSubmit={submit} aria-label={t("release.translate")} data-testid="release-translation">
      <LanguageFields texts={texts} setTexts={setTexts} only={release.to_translate} />
      <ErrorText error={error} />
      <div class="row-actions">
        <button class="primary" type="submit">{t("admin.save")}</button>
        <button class="secondary" type="button" onClick={onCancel}>{t("draw.cancel")}</button>
      </div>
    </form>
  );
}

function Propose({ onDone }: { onDone: () => void }) {
  const own = me.value?.nation ?? "";
  const [texts, setTexts] = useState<Texts>(EMPTY);
  const [concerned, setConcerned] = useState<string[]>(nations.value.map((n) => n.code));
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    try {
      await api.post("/api/releases", { concerned: [...new Set([own, ...concerned])], texts: written(texts), references: [] });
      setTexts(EMPTY);
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
      <p class="muted">{t("release.one_language_rule")}</p>
      <LanguageFields texts={texts} setTexts={setTexts} />
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
