import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { type Incident } from "../features/coord";
import { directory, loadDirectory } from "../features/directory";
import { t } from "../i18n";
import { hasRole, me } from "../session";
import { ErrorText } from "./ErrorText";

const INCIDENT_ROLES = ["commander", "liaison_officer", "watch_officer", "analyst"];

/** One's own nation's assignee for an incident that concerns it (PUT /api/incidents/{id}/assignees/{nation}). */
export function Assignee({ incident, onChange }: { incident: Incident; onChange: () => void }) {
  const own = me.value?.nation ?? "";
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void loadDirectory(), []);
  const current = incident.assignees[own];
  const people = [...directory.value.values()].filter((p) => p.nation === own)
    .sort((a, b) => a.display_name.localeCompare(b.display_name));
  const concerned = incident.reporter === own || incident.partners.includes(own);
  const name = (id: number | undefined) => (id === undefined ? t("admin.unassigned") : directory.value.get(id)?.display_name ?? `#${id}`);
  if (!concerned || !INCIDENT_ROLES.some((r) => hasRole(r)) || incident.status === "closed") {
    return <bdi>{name(current)}</bdi>;
  }
  async function assign(personId: string) {
    setError(null);
    try {
      await api.put(`/api/incidents/${incident.id}/assignees/${own}`, { person_id: Number(personId) });
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <>
      <select aria-label={t("admin.assignee_of", { nation: own })} value={current === undefined ? "" : String(current)}
        data-testid="assignee" onChange={(e) => void assign(e.currentTarget.value)}>
        {current === undefined && <option value="">{t("admin.unassigned")}</option>}
        {people.map((p) => <option key={p.id} value={p.id}>{p.display_name}</option>)}
      </select>
      <ErrorText error={error} />
    </>
  );
}
