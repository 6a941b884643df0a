import { useEffect, useState } from "preact/hooks";
import { offers } from "../capabilities";
import { TakDevices } from "../components/TakDevices";
import { api, ApiError } from "../api";
import { ErrorText } from "../components/ErrorText";
import { roleName } from "../components/Header";
import { type Column, SortableTable } from "../components/SortableTable";
import { Time } from "../components/Time";
import { UtcInput } from "../components/UtcInput";
import { t, tk } from "../i18n";
import { navigate, route } from "../router";
import { ChannelsAdmin } from "./admin/ChannelsAdmin";
import { IncidentsAdmin } from "./admin/IncidentsAdmin";
import { MapDataAdmin } from "./admin/MapDataAdmin";
import { NationsAdmin } from "./admin/Nations";
import { PeersAdmin } from "./admin/Peers";
import { SitesAdmin } from "./admin/SitesAdmin";
import { LEVELS, levelLabel } from "../markings";
import { type Appointment, hasRole, me, type Me } from "../session";
import type { DirectoryEntry } from "../features/directory";

const ROLES = ["commander", "liaison_officer", "analyst", "watch_officer", "observer", "administrator"] as const;

/** A UtcInput value read as UTC: "2026-11-29T12:00" → ISO with Z. */
function utcFromInput(value: string): string | undefined {
  return value ? `${value}:00Z` : undefined;
}

function AppointmentList({ person, onChange }: { person: Me; onChange: () => void }) {
  const [error, setError] = useState<unknown>(null);
  async function end(a: Appointment) {
    setError(null);
    try {
      await api.del(`/api/appointments/${a.id}`);
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <div class="appointments">
      {person.appointments.length === 0 && <span class="muted">{t("admin.no_appointments")}</span>}
      {person.appointments.map((a) => (
        <div key={a.id} class={`appointment ${a.current ? "current" : "inactive"}`}>
          <span class="chip">{roleName(a.role)}</span>{" "}
          <span class="muted">
            <Time value={a.starts_at} /> <span class="dir-arrow" aria-hidden="true">→</span> {a.ends_at ? <Time value={a.ends_at} /> : t("admin.open_ended")}
          </span>
          {a.current && (
            <button class="link" onClick={() => void end(a)}>
              {t("admin.end_appointment")}
            </button>
          )}
        </div>
      ))}
      <ErrorText error={error} />
    </div>
  );
}

/** What the server answers when a change needs a second person (202): the request it opened. */
interface PrivilegedRequest {
  id: number;
  kind: "appointment" | "password_reset";
  person_id: number;
  role: string | null;
  requested_by: number;
  requested_at: string;
  state: string;
}

function isPending(result: unknown): result is PrivilegedRequest {
  return typeof result === "object" && result !== null && (result as PrivilegedRequest).state === "pending";
}

/** Requests of one's own nation awaiting a second person: confirm or refuse them, or withdraw one's own. */
function PendingRequests({ version, onSettled }: { version: number; onSettled: (password: string | null) => void }) {
  const [requests, setRequests] = useState<PrivilegedRequest[]>([]);
  const [names, setNames] = useState<Map<number, string>>(new Map());
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      const [pending, directory] = await Promise.all([
        api.get<PrivilegedRequest[]>("/api/privileged-requests"),
        api.get<{ id: number; display_name: string }[]>("/api/people"),
      ]);
      setRequests(pending);
      setNames(new Map(directory.map((p) => [p.id, p.display_name])));
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => void load(), [version]);
  async function decide(r: PrivilegedRequest, step: "confirm" | "refuse") {
    setError(null);
    try {
      const result = await api.post<{ password?: string | null } | undefined>(`/api/privileged-requests/${r.id}/${step}`);
      onSettled(result?.password ?? null);
      await load();
    } catch (err) {
      setError(err);
    }
  }
  if (requests.length === 0 && !error) return null;
  const name = (id: number) => names.get(id) ?? `#${id}`;
  const self = me.value?.id;
  return (
    <section class="card" aria-label={t("admin.pending_title")} data-testid="privileged-requests">
      <h2>{t("admin.pending_title")}</h2>
      <p class="muted">{t("admin.pending_rule")}</p>
      <ul class="plain">
        {requests.map((r) => (
          <li key={r.id}>
            <b><bdi>{name(r.person_id)}</bdi></b>{" "}
            {r.kind === "appointment" ? t("admin.pending_appointment", { role: roleName(r.role ?? "") })
              : t("admin.pending_password_reset")}{" "}
            <span class="muted">
              {t("admin.asked_by", { name: name(r.requested_by) })} · <Time value={r.requested_at} />
            </span>{" "}
            {self !== r.requested_by && self !== r.person_id && (
              <button class="primary" onClick={() => void decide(r, "confirm")}>{t("admin.confirm")}</button>
            )}{" "}
            <button class="secondary" onClick={() => void decide(r, "refuse")}>
              {self === r.requested_by ? t("admin.withdraw") : t("admin.refuse")}
            </button>
          </li>
        ))}
      </ul>
      <ErrorText error={error} />
    </section>
  );
}

function AppointForm({ person, onDone }: { person: Me; onDone: (pending: boolean) => void }) {
  const [role, setRole] = useState<string>("watch_officer");
  const [starts, setStarts] = useState("");
  const [ends, setEnds] = useState("");
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const result = await api.post<unknown>("/api/appointments", {
        person_id: person.id, role, starts_at: utcFromInput(starts), ends_at: utcFromInput(ends),
      });
      onDone(isPending(result));
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="inline-form" onSubmit={submit}>
      <label>
        {t("admin.role")}
        <select value={role} onChange={(e) => setRole(e.currentTarget.value)}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {roleName(r)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t("admin.starts_at")}
        <UtcInput value={starts} onInput={setStarts} name="starts_at" />
      </label>
      <label>
        {t("admin.ends_at")}
        <UtcInput value={ends} onInput={setEnds} name="ends_at" />
      </label>
      <button class="primary" type="submit">
        {t("admin.appoint")}
      </button>
      <ErrorText error={error} />
    </form>
  );
}

function NewPersonForm({ nation, onCreated }: { nation: string; onCreated: (password: string | null) => void }) {
  const [username, setUsername] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [clearance, setClearance] = useState<string>("RESTRICTED");
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      const made = await api.post<{ password: string | null }>("/api/people", {
        username, display_name: displayName, nation, clearance,
      });
      setUsername("");
      setDisplayName("");
      onCreated(made.password);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.new_person")}>
      <h2>{t("admin.new_person")}</h2>
      <label>
        {t("admin.username")}
        <input value={username} onInput={(e) => setUsername(e.currentTarget.value)} required dir="ltr" />
      </label>
      <label>
        {t("admin.display_name")}
        <input value={displayName} onInput={(e) => setDisplayName(e.currentTarget.value)} required />
      </label>
      <label>
        {t("admin.clearance")}
        <select value={clearance} onChange={(e) => setClearance(e.currentTarget.value)}>
          {LEVELS.map((l) => (
            <option key={l} value={l}>
              {levelLabel(l)}
            </option>
          ))}
        </select>
      </label>
      <button class="primary" type="submit">
        {t("admin.create")}
      </button>
      <ErrorText error={error} />
    </form>
  );
}

/** What a reader who is no administrator may see of the people: the centre's directory (every
 * nation's people and their current roles), read-only. */
function Directory() {
  const [people, setPeople] = useState<DirectoryEntry[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState("");
  useEffect(() => {
    api.get<DirectoryEntry[]>("/api/people").then(setPeople, setError);
  }, []);
  const needle = filter.trim().toLocaleLowerCase();
  const rows = (people ?? []).filter(
    (p) => !needle || p.display_name.toLocaleLowerCase().includes(needle) || p.username.includes(needle),
  );
  const columns: Column<DirectoryEntry>[] = [
    { key: "name", label: t("admin.display_name"), sort: (p) => p.display_name, render: (p) => <b><bdi>{p.display_name}</bdi></b> },
    { key: "username", label: t("admin.username"), sort: (p) => p.username, render: (p) => <code dir="ltr">{p.username}</code> },
    { key: "nation", label: t("admin.nation"), sort: (p) => p.nation, render: (p) => <code dir="ltr">{p.nation}</code> },
    {
      key: "roles",
      label: t("admin.roles"),
      render: (p) => (p.roles.length ? p.roles.map((r) => <span key={r} class="chip">{roleName(r)}</span>) : <span class="muted">—</span>),
    },
  ];
  return (
    <>
      <FilterBar value={filter} onInput={setFilter} />
      <ErrorText error={error} />
      <SortableTable rows={rows} columns={columns} rowKey={(p) => p.id} testId="directory" empty={t("admin.nobody")} />
    </>
  );
}

/** Administration of one's own nation's people and appointments (never another nation's). */
function PeopleAdmin() {
  const nation = me.value?.nation ?? "";
  const [people, setPeople] = useState<Me[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [filter, setFilter] = useState("");
  const [appointing, setAppointing] = useState<number | null>(null);
  const [secret, setSecret] = useState<string | null>(null);
  const [sentForConfirmation, setSentForConfirmation] = useState(false);
  const [requestsVersion, setRequestsVersion] = useState(0);
  const [devicesOf, setDevicesOf] = useState<Me | null>(null);

  async function load() {
    try {
      setPeople(await api.get<Me[]>("/api/admin/people"));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    if (hasRole("administrator")) void load();
  }, []);

  async function act(path: string) {
    setError(null);
    try {
      const result = await api.post<{ password?: string } | undefined>(path);
      if (result?.password) setSecret(result.password);
      if (isPending(result)) requested();
      await load();
    } catch (err) {
      setError(err);
    }
  }

  /** A change went to a second person of the nation: say so, and show it among the pending ones. */
  function requested() {
    setSentForConfirmation(true);
    setRequestsVersion((v) => v + 1);
  }

  if (!hasRole("administrator") || (error instanceof ApiError && error.code === "forbidden" && people === null)) {
    return (
      <>
        <p class="muted">{t("admin.directory_rule")}</p>
        {/* The commander is the other second person of the two-person rule. */}
        {hasRole("commander") && <PendingRequests version={0} onSettled={(pw) => pw && setSecret(pw)} />}
        {secret && (
          <div class="card notice" role="status">
            {t("admin.password_once")} <code dir="ltr" data-testid="new-password">{secret}</code>
          </div>
        )}
        <Directory />
      </>
    );
  }

  const needle = filter.trim().toLocaleLowerCase();
  const rows = (people ?? []).filter(
    (p) => !needle || p.display_name.toLocaleLowerCase().includes(needle) || p.username.includes(needle),
  );
  const columns: Column<Me>[] = [
    { key: "name", label: t("admin.display_name"), sort: (p) => p.display_name, render: (p) => <b>{p.display_name}</b> },
    { key: "username", label: t("admin.username"), sort: (p) => p.username, render: (p) => <code dir="ltr">{p.username}</code> },
    { key: "clearance", label: t("admin.clearance"), sort: (p) => LEVELS.indexOf(p.clearance as never), render: (p) => levelLabel(p.clearance) },
    {
      key: "appointments",
      label: t("admin.appointments"),
      render: (p) => (
        <>
          <AppointmentList person={p} onChange={() => void load()} />
          {appointing === p.id ? (
            <AppointForm person={p} onDone={(pending) => {
              setAppointing(null);
              if (pending) requested();
              void load();
            }} />
          ) : (
            <button class="link" onClick={() => setAppointing(p.id)}>
              + {t("admin.appoint")}
            </button>
          )}
        </>
      ),
    },
    {
      key: "status",
      label: t("admin.status"),
      sort: (p) => (p.disabled ? 1 : 0),
      render: (p) => (
        <span class={p.disabled ? "chip rejected" : "chip approved"}>{p.disabled ? t("admin.disabled") : t("admin.active")}</span>
      ),
    },
    {
      key: "actions",
      label: t("admin.actions"),
      render: (p) =>
        p.id === me.value?.id ? null : (
          <div class="row-actions">
            <button class="secondary" onClick={() => void act(`/api/people/${p.id}/${p.disabled ? "enable" : "disable"}`)}>
              {p.disabled ? t("admin.enable") : t("admin.disable")}
            </button>
            <button class="secondary" onClick={() => void act(`/api/people/${p.id}/reset-password`)}>
              {t("admin.reset_password")}
            </button>
            <button class="secondary" onClick={() => setDevicesOf(p)} data-testid="tak-open">
              {t("admin.tak_devices")}
            </button>
          </div>
        ),
    },
  ];

  return (
    <>
      <h2>{t("admin.people_of", { nation })}</h2>
      {secret && (
        <div class="card notice" role="status">
          {t("admin.password_once")} <code dir="ltr" data-testid="new-password">{secret}</code>{" "}
          <button class="link" onClick={() => setSecret(null)}>
            {t("admin.dismiss")}
          </button>
        </div>
      )}
      {sentForConfirmation && (
        <div class="card notice" role="status" data-testid="sent-for-confirmation">
          {t("admin.sent_for_confirmation")}{" "}
          <button class="link" onClick={() => setSentForConfirmation(false)}>
            {t("admin.dismiss")}
          </button>
        </div>
      )}
      <PendingRequests version={requestsVersion}
        onSettled={(pw) => (pw && setSecret(pw), void load())} />
      <FilterBar value={filter} onInput={setFilter} />
      <ErrorText error={error} />
      {devicesOf && offers("/api/people/{person_id}/tak-devices") && (
        <TakDevices key={devicesOf.id} person={devicesOf} onClose={() => setDevicesOf(null)} />
      )}
      <div class="admin-layout">
        <SortableTable rows={rows} columns={columns} rowKey={(p) => p.id} testId="people" empty={t("admin.nobody")} />
        <NewPersonForm nation={nation} onCreated={(pw) => (setSecret(pw), void load())} />
      </div>
    </>
  );
}

const SECTIONS: readonly [string, string][] = [
  ["people", tk("admin.tab.people")],
  ["sites", tk("admin.tab.sites")],
  ["channels", tk("admin.tab.channels")],
  ["nations", tk("admin.tab.nations")],
  ["incidents", tk("admin.tab.incidents")],
  ["map", tk("admin.tab.map")],
  ["peers", tk("admin.tab.peers")],
];

/** Whether a section is offered to the reader: peer nodes are for administrators, on a server that has them. */
function offered(id: string): boolean {
  return id !== "peers" || (hasRole("administrator") && offers("/api/peers"));
}

/** Administration, one section per subject (/admin/sites, …); each offers only what the reader's roles
 * allow, and the server decides again (domain/policy.py, domain/ownership.py). */
export function Admin() {
  const section = route.value.params[0] ?? "people";
  return (
    <main class="page admin" data-testid="admin">
      <h1>{t("nav.admin")}</h1>
      <div class="tabs" role="tablist">
        {SECTIONS.filter(([id]) => offered(id)).map(([id, label]) => (
          <button key={id} role="tab" aria-selected={section === id} class={section === id ? "active" : ""}
            data-testid={`admin-tab-${id}`} onClick={() => navigate(id === "people" ? "/admin" : `/admin/${id}`)}>
            {t(label)}
          </button>
        ))}
      </div>
      {section === "sites" ? <SitesAdmin />
        : section === "channels" ? <ChannelsAdmin />
        : section === "nations" ? <NationsAdmin />
        : section === "incidents" ? <IncidentsAdmin />
        : section === "map" ? <MapDataAdmin />
        : section === "peers" ? <PeersAdmin />
        : <PeopleAdmin />}
    </main>
  );
}

/** The people lists' filter box. */
function FilterBar({ value, onInput }: { value: string; onInput: (value: string) => void }) {
  return (
    <div class="toolbar">
      <label>
        {t("admin.filter")}
        <input type="search" value={value} onInput={(e) => onInput(e.currentTarget.value)} />
      </label>
    </div>
  );
}
