import { useState } from "preact/hooks";
import { api } from "../../api";
import { ErrorText } from "../../components/ErrorText";
import { t } from "../../i18n";
import { LEVELS, levelClass } from "../../markings";
import { hasRole, loadNations, me, type Nation, nations } from "../../session";

/** The own nation's name and labels, edited by its administrators (PUT /api/nations/{code}). */
function NationForm({ nation, onDone }: { nation: Nation; onDone: () => void }) {
  const [name, setName] = useState(nation.name);
  const [labels, setLabels] = useState<Record<string, string>>({ ...nation.labels });
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.put(`/api/nations/${nation.code}`, { name, labels });
      await loadNations(); // banners and badges are written in the new labels at once
      onDone();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.nation_edit", { nation: nation.code })}
      data-testid="nation-form">
      <h2>{t("admin.nation_edit", { nation: nation.code })}</h2>
      <label>
        {t("admin.nation_name")}
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={100} dir="auto" />
      </label>
      {LEVELS.map((level) => (
        <label key={level}>
          {t("admin.label_for", { level })}
          <input name={`label-${level}`} value={labels[level] ?? ""} required maxLength={64} dir="auto"
            onInput={(e) => setLabels({ ...labels, [level]: e.currentTarget.value })} />
        </label>
      ))}
      <button class="primary" type="submit">{t("admin.save")}</button>
      <ErrorText error={error} />
    </form>
  );
}

/** Partner nations and each one's own labels for the common levels; one's own nation is edited here. */
export function NationsAdmin() {
  const own = me.value?.nation ?? "";
  const [editing, setEditing] = useState(false);
  const [saved, setSaved] = useState(false);
  const mine = nations.value.find((n) => n.code === own);
  return (
    <section aria-label={t("admin.tab.nations")}>
      <p class="muted">{t("admin.nations_rule")}</p>
      <table class="grid" data-testid="nations">
        <thead>
          <tr>
            <th>{t("admin.nation_code")}</th>
            <th>{t("admin.nation_name")}</th>
            {LEVELS.map((level) => <th key={level}>{t("admin.label_for", { level })}</th>)}
          </tr>
        </thead>
        <tbody>
          {nations.value.map((n) => (
            <tr key={n.code} data-nation={n.code}>
              <td><code dir="ltr">{n.code}</code></td>
              <td><bdi>{n.name}</bdi></td>
              {LEVELS.map((level) => (
                <td key={level}><span class={`marking ${levelClass(level)}`}><bdi>{n.labels[level] ?? level}</bdi></span></td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {saved && <div class="card notice" role="status" data-testid="nation-saved">{t("admin.nation_saved")}</div>}
      {mine && hasRole("administrator") && (editing
        ? <NationForm nation={mine} onDone={() => (setEditing(false), setSaved(true))} />
        : <button class="secondary" data-testid="nation-edit" onClick={() => (setEditing(true), setSaved(false))}>
            {t("admin.nation_edit", { nation: own })}
          </button>)}
    </section>
  );
}
