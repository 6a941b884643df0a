import type { Polygon } from "geojson";
import { useEffect, useState } from "preact/hooks";
import { api } from "../../api";
import { AreaMap } from "../../components/AreaMap";
import { ErrorText } from "../../components/ErrorText";
import { LocationPicker } from "../../components/LocationPicker";
import { MarkingBadge } from "../../components/MarkingBadge";
import { Time } from "../../components/Time";
import { UtcInput } from "../../components/UtcInput";
import { siteKindName } from "../../codes";
import type { Site } from "../../features/operations";
import type { Place } from "../../features/intel_authoring";
import { t, tk } from "../../i18n";
import type { Marking } from "../../markings";
import { hasRole, me } from "../../session";

/** Kinds added here; a humanitarian movement also needs its window (the API asks for it). */
const KINDS = ["hospital", "school", "place_of_worship", "camp", "humanitarian_premises", "humanitarian_movement"] as const;
const STAFF = ["commander", "liaison_officer", "analyst", "watch_officer"];
const PLANNERS = ["commander", "liaison_officer"];
const STATUS: Record<string, string> = {
  notified: tk("admin.status_notified"), acknowledged: tk("admin.status_acknowledged"),
  retired: tk("admin.status_retired"), withdrawn: tk("admin.status_withdrawn"),
};
const statusName = (s: string) => (STATUS[s] ? t(STATUS[s]) : s);
const anyRole = (roles: readonly string[]) => roles.some((r) => hasRole(r));
const utc = (v: string) => (v ? `${v}:00Z` : undefined);

interface Activity {
  id: number;
  nation: string;
  name: string;
  description: string;
  starts_at: string;
  ends_at: string;
  status: string;
  marking: Marking;
}

function NewSiteForm({ onAdded }: { onAdded: () => void }) {
  const [kind, setKind] = useState<string>("hospital");
  const [name, setName] = useState("");
  const [place, setPlace] = useState<Place | null>(null);
  const [starts, setStarts] = useState("");
  const [ends, setEnds] = useState("");
  const [error, setError] = useState<unknown>(null);
  const movement = kind === "humanitarian_movement";
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.post("/api/sites", {
        kind, name,
        geometry: place ? { type: "Point", coordinates: [place.longitude, place.latitude] } : null,
        window: movement ? { starts_at: utc(starts), ends_at: utc(ends) } : undefined,
      });
      setName("");
      setPlace(null);
      onAdded();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.site_new")} data-testid="site-form">
      <h2>{t("admin.site_new")}</h2>
      <label>
        {t("admin.site_kind")}
        <select name="kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
          {KINDS.map((k) => <option key={k} value={k}>{siteKindName(k)}</option>)}
        </select>
      </label>
      <label>
        {t("admin.site_name")}
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} dir="auto" />
      </label>
      {movement && (
        <>
          <label>{t("admin.starts_at")} <UtcInput value={starts} onInput={setStarts} name="starts_at" required /></label>
          <label>{t("admin.ends_at")} <UtcInput value={ends} onInput={setEnds} name="ends_at" required /></label>
        </>
      )}
      <p class="muted">{place ? t("admin.site_place_picked") : t("admin.site_pick_place")}</p>
      <LocationPicker value={place} onChange={setPlace} testId="site-map" />
      <button class="primary" type="submit" disabled={!place}>{t("admin.site_add")}</button>
      <ErrorText error={error} />
    </form>
  );
}

function NewActivityForm({ onAdded }: { onAdded: () => void }) {
  const [name, setName] = useState("");
  const [area, setArea] = useState<Polygon | null>(null);
  const [starts, setStarts] = useState("");
  const [ends, setEnds] = useState("");
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.post("/api/activities", { name, area, window: { starts_at: utc(starts), ends_at: utc(ends) } });
      setName("");
      setArea(null);
      onAdded();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.activity_new")} data-testid="activity-form">
      <h2>{t("admin.activity_new")}</h2>
      <p class="muted">{t("admin.activity_rule")}</p>
      <label>
        {t("admin.site_name")}
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={200} dir="auto" />
      </label>
      <label>{t("admin.starts_at")} <UtcInput value={starts} onInput={setStarts} name="starts_at" required /></label>
      <label>{t("admin.ends_at")} <UtcInput value={ends} onInput={setEnds} name="ends_at" required /></label>
      <AreaMap shapes={area ? [{ geometry: area, color: "#ffd33d" }] : []} onDraw={setArea} testId="activity-map" />
      <button class="primary" type="submit" disabled={!area}>{t("admin.activity_notify")}</button>
      <ErrorText error={error} />
    </form>
  );
}

/** Protected sites (any staff adds; the adding nation retires) and national activities (planners). */
export function SitesAdmin() {
  const own = me.value?.nation ?? "";
  const [sites, setSites] = useState<Site[]>([]);
  const [activities, setActivities] = useState<Activity[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [retiring, setRetiring] = useState<number | null>(null);
  const [reason, setReason] = useState("");
  async function load() {
    try {
      const [s, a] = await Promise.all([
        api.get<Site[]>("/api/sites?include_retired=true"),
        api.get<Activity[]>("/api/activities"),
      ]);
      setSites(s);
      setActivities(a);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => void load(), []);
  async function act(run: () => Promise<unknown>) {
    setError(null);
    try {
      await run();
      await load();
    } catch (err) {
      setError(err);
    }
  }
  const staff = anyRole(STAFF);
  const planner = anyRole(PLANNERS);
  return (
    <section aria-label={t("admin.tab.sites")}>
      <ErrorText error={error} />
      <h2>{t("admin.sites_title")}</h2>
      <table class="grid" data-testid="sites">
        <thead><tr>
          <th>{t("admin.site_name")}</th><th>{t("admin.site_kind")}</th><th>{t("admin.nation_code")}</th>
          <th>{t("admin.status")}</th><th>{t("marking.title")}</th><th>{t("admin.actions")}</th>
        </tr></thead>
        <tbody>
          {sites.length === 0 && <tr><td colSpan={6} class="muted">{t("admin.none")}</td></tr>}
          {sites.map((s) => (
            <tr key={s.id} data-testid="site-row">
              <td><bdi>{s.name}</bdi></td>
              <td>{siteKindName(s.kind)}</td>
              <td><code dir="ltr">{s.marking.originator}</code></td>
              <td>{statusName(s.status)}</td>
              <td><MarkingBadge marking={s.marking} compact /></td>
              <td>
                {staff && s.marking.originator === own && s.status !== "retired" && (retiring === s.id ? (
                  <form class="inline-form" onSubmit={(e) => (e.preventDefault(), void act(async () => {
                    await api.post(`/api/sites/${s.id}/retire`, { reason });
                    setRetiring(null);
                    setReason("");
                  }))}>
                    <input aria-label={t("admin.reason")} placeholder={t("admin.reason")} value={reason} required dir="auto"
                      onInput={(e) => setReason(e.currentTarget.value)} />
                    <button class="primary" type="submit">{t("admin.site_retire")}</button>
                  </form>
                ) : (
                  <button class="secondary" onClick={() => setRetiring(s.id)}>{t("admin.site_retire")}</button>
                ))}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <h2>{t("admin.activities_title")}</h2>
      <table class="grid" data-testid="activities">
        <thead><tr>
          <th>{t("admin.site_name")}</th><th>{t("admin.nation_code")}</th><th>{t("admin.window")}</th>
          <th>{t("admin.status")}</th><th>{t("marking.title")}</th><th>{t("admin.actions")}</th>
        </tr></thead>
        <tbody>
          {activities.length === 0 && <tr><td colSpan={6} class="muted">{t("admin.none")}</td></tr>}
          {activities.map((a) => (
            <tr key={a.id} data-testid="activity-row">
              <td><bdi>{a.name}</bdi></td>
              <td><code dir="ltr">{a.nation}</code></td>
              <td><Time value={a.starts_at} /> <span class="dir-arrow" aria-hidden="true">→</span> <Time value={a.ends_at} /></td>
              <td>{statusName(a.status)}</td>
              <td><MarkingBadge marking={a.marking} compact /></td>
              <td>
                {planner && a.nation === own && a.status !== "withdrawn" && (
                  <button class="secondary" onClick={() => void act(() => api.post(`/api/activities/${a.id}/withdraw`))}>
                    {t("admin.activity_withdraw")}
                  </button>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div class="admin-forms">
        {staff && <NewSiteForm onAdded={() => void load()} />}
        {planner && <NewActivityForm onAdded={() => void load()} />}
      </div>
    </section>
  );
}
