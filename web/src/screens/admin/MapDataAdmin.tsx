import { useEffect, useState } from "preact/hooks";
import { api } from "../../api";
import { ErrorText } from "../../components/ErrorText";
import { Time } from "../../components/Time";
import { formatNumber, t } from "../../i18n";
import { loadMapSources, type MapSource, mapSources } from "../../map/sources";
import { hasRole, me } from "../../session";

/** Bytes as the largest whole unit (kB, MB, GB), in the reader's digits. */
function size(bytes: number): string {
  const units = ["B", "kB", "MB", "GB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${formatNumber(value, { maximumFractionDigits: unit ? 1 : 0 })} ${units[unit]}`;
}

function ArchiveForm({ onAdded }: { onAdded: () => void }) {
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    setError(null);
    setBusy(true);
    try {
      await api.post("/api/map-sources/archives", new FormData(form));
      form.reset();
      onAdded();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} data-testid="map-archive-form" aria-label={t("mapdata.upload_title")}>
      <h3>{t("mapdata.upload_title")}</h3>
      <p class="muted">{t("mapdata.upload_rule")}</p>
      <label>
        {t("mapdata.name")}
        <input name="name" required maxLength={80} dir="auto" />
      </label>
      <label>
        {t("mapdata.attribution")}
        <input name="attribution" maxLength={200} dir="auto" />
      </label>
      <label>
        {t("mapdata.file")}
        <input name="file" type="file" required accept=".mbtiles,.pmtiles" />
      </label>
      <button class="primary" type="submit" disabled={busy}>{busy ? "…" : t("mapdata.upload")}</button>
      <ErrorText error={error} />
    </form>
  );
}

function ServerForm({ onAdded }: { onAdded: () => void }) {
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    setError(null);
    try {
      await api.post("/api/map-sources/servers", {
        name: data.get("name"),
        url: data.get("url"),
        attribution: data.get("attribution") ?? "",
        min_zoom: Number(data.get("min_zoom")),
        max_zoom: Number(data.get("max_zoom")),
      });
      form.reset();
      onAdded();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} data-testid="map-server-form" aria-label={t("mapdata.server_title")}>
      <h3>{t("mapdata.server_title")}</h3>
      <p class="muted">{t("mapdata.server_rule")}</p>
      <label>
        {t("mapdata.name")}
        <input name="name" required maxLength={80} dir="auto" />
      </label>
      <label>
        {t("mapdata.url")}
        <input name="url" required maxLength={500} dir="ltr" placeholder="https://tiles.centre.local/{z}/{x}/{y}.png" />
      </label>
      <label>
        {t("mapdata.attribution")}
        <input name="attribution" maxLength={200} dir="auto" />
      </label>
      <div class="row">
        <label>
          {t("mapdata.min_zoom")}
          <input name="min_zoom" type="number" min={0} max={24} value={0} required />
        </label>
        <label>
          {t("mapdata.max_zoom")}
          <input name="max_zoom" type="number" min={0} max={24} value={18} required />
        </label>
      </div>
      <button class="primary" type="submit">{t("mapdata.add_server")}</button>
      <ErrorText error={error} />
    </form>
  );
}

/** The centre's own map data (MBTiles/PMTiles archives, on-premises tile servers): every reader sees
 * what the map offers; administrators add sources, and remove those their nation added. */
export function MapDataAdmin() {
  const [error, setError] = useState<unknown>(null);
  useEffect(() => void loadMapSources(), []);
  const own = me.value?.nation;
  const admin = hasRole("administrator");
  async function remove(source: MapSource) {
    setError(null);
    try {
      await api.del(`/api/map-sources/${source.id}`);
      await loadMapSources();
    } catch (err) {
      setError(err);
    }
  }
  const kindName = (s: MapSource) => (s.kind === "xyz" ? t("map.base_server") : t("map.base_archive"));
  return (
    <section aria-label={t("admin.tab.map")}>
      <p class="muted">{admin ? t("mapdata.rule") : t("mapdata.rule_reader")}</p>
      <table class="grid" data-testid="map-sources">
        <thead>
          <tr>
            <th>{t("mapdata.name")}</th>
            <th>{t("mapdata.kind")}</th>
            <th>{t("mapdata.zooms")}</th>
            <th>{t("mapdata.size")}</th>
            <th>{t("mapdata.added")}</th>
            {admin && <th>{t("admin.actions")}</th>}
          </tr>
        </thead>
        <tbody>
          {mapSources.value.length === 0 && <tr><td colSpan={admin ? 6 : 5} class="muted">{t("mapdata.none")}</td></tr>}
          {mapSources.value.map((s) => (
            <tr key={s.id} data-source={s.name}>
              <td><bdi>{s.name}</bdi>{s.attribution && <div class="muted"><bdi>{s.attribution}</bdi></div>}</td>
              <td>{kindName(s)} <span class="muted">{s.kind === "xyz" ? "" : s.kind.toUpperCase()}</span></td>
              <td dir="ltr">{formatNumber(s.min_zoom)}–{formatNumber(s.max_zoom)}</td>
              <td>{s.kind === "xyz" ? "—" : size(s.size)}</td>
              <td><code dir="ltr">{s.nation}</code> · <Time value={s.added_at} /></td>
              {admin && (
                <td>
                  {s.nation === own ? (
                    <button class="secondary" data-testid="map-source-remove" onClick={() => void remove(s)}>{t("mapdata.remove")}</button>
                  ) : (
                    <span class="muted">{t("mapdata.remove_owner", { nation: s.nation })}</span>
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
      <ErrorText error={error} />
      {admin && (
        <div class="admin-forms">
          <ArchiveForm onAdded={() => void loadMapSources()} />
          <ServerForm onAdded={() => void loadMapSources()} />
        </div>
      )}
    </section>
  );
}
