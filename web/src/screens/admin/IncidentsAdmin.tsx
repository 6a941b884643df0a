import { useEffect, useState } from "preact/hooks";
import { api } from "../../api";
import { ErrorText } from "../../components/ErrorText";
import { MarkingBadge } from "../../components/MarkingBadge";
import { categoryName } from "../../codes";
import { type Category, INCIDENT_STATUS_KEYS, type Incident } from "../../features/coord";
import { loadDirectory } from "../../features/directory";
import { LANG_NAMES, LANGS, t } from "../../i18n";
import { hasRole, me } from "../../session";
import { Assignee } from "../../components/IncidentAssignee";

/** A commander extends the centre's incident vocabulary, naming the category in one or more languages. */
function NewCategoryForm({ onAdded }: { onAdded: () => void }) {
  const [code, setCode] = useState("");
  const [names, setNames] = useState<Record<string, string>>({});
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const given = Object.fromEntries(Object.entries(names).filter(([, v]) => v.trim()));
      await api.post("/api/incident-categories", { code, names: given });
      setCode("");
      setNames({});
      onAdded();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.category_new")} data-testid="category-form">
      <h2>{t("admin.category_new")}</h2>
      <label>
        {t("admin.category_code")}
        <input name="code" value={code} onInput={(e) => setCode(e.currentTarget.value)} required dir="ltr"
          pattern="[a-z][a-z0-9_]{1,39}" title={t("admin.category_code_hint")} />
      </label>
      {LANGS.map((l) => (
        <label key={l}>
          {t("admin.category_name_in", { language: LANG_NAMES[l] })}
          <input name={`name-${l}`} lang={l} dir={l === "ar" ? "rtl" : "ltr"} value={names[l] ?? ""} maxLength={80}
            required={l === "en"} onInput={(e) => setNames({ ...names, [l]: e.currentTarget.value })} />
        </label>
      ))}
      <button class="primary" type="submit">{t("admin.category_add")}</button>
      <ErrorText error={error} />
    </form>
  );
}

/** The incident vocabulary in every language, and each nation's assignees of the incidents it is concerned by. */
export function IncidentsAdmin() {
  const own = me.value?.nation ?? "";
  const [categories, setCategories] = useState<Category[]>([]);
  const [list, setList] = useState<Incident[]>([]);
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      const [c, i] = await Promise.all([
        api.get<Category[]>("/api/incident-categories"),
        api.get<Incident[]>("/api/incidents"),
      ]);
      setCategories(c);
      setList(i);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    void loadDirectory(true);
  }, []);
  return (
    <section aria-label={t("admin.tab.incidents")}>
      <ErrorText error={error} />
      <h2>{t("admin.categories_title")}</h2>
      <table class="grid" data-testid="categories">
        <thead><tr>
          <th>{t("admin.category_code")}</th>
          {LANGS.map((l) => <th key={l}>{LANG_NAMES[l]}</th>)}
        </tr></thead>
        <tbody>
          {categories.map((c) => (
            <tr key={c.code} data-code={c.code}>
              <td><code dir="ltr">{c.code}</code></td>
              {LANGS.map((l) => (
                <td key={l} lang={l} dir={l === "ar" ? "rtl" : "ltr"}>
                  {c.names[l] ?? <span class="muted" lang="">{t("admin.to_be_translated")}</span>}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {hasRole("commander") && <NewCategoryForm onAdded={() => void load()} />}
      <h2>{t("admin.assignees_title", { nation: own })}</h2>
      <table class="grid" data-testid="assignees">
        <thead><tr>
          <th>{t("admin.incident")}</th><th>{t("admin.category")}</th><th>{t("admin.status")}</th>
          <th>{t("marking.title")}</th><th>{t("admin.assignee_of", { nation: own })}</th>
        </tr></thead>
        <tbody>
          {list.length === 0 && <tr><td colSpan={5} class="muted">{t("admin.none")}</td></tr>}
          {list.map((i) => (
            <tr key={i.id} data-testid="assignee-row">
              <td><bdi>{i.title}</bdi></td>
              <td>{categoryName(i.category, i.category_label)}</td>
              <td>{t(INCIDENT_STATUS_KEYS[i.status])}</td>
              <td><MarkingBadge marking={i.marking} compact /></td>
              <td><Assignee incident={i} onChange={() => void load()} /></td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
