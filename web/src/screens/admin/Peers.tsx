import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiError } from "../../api";
import { ErrorText } from "../../components/ErrorText";
import { type Column, SortableTable } from "../../components/SortableTable";
import { Time } from "../../components/Time";
import { span } from "../../format";
import { formatNumber, locale, t, tk } from "../../i18n";
import { LEVELS, levelClass, levelLabel } from "../../markings";
import { myNation, nations } from "../../session";

/** GET /api/node: what an administrator reads out to a peer's administrator over the phone. */
interface NodeIdentity {
  node_id: string;
  nation: string | null;
  key: string;
  fingerprint: string;
  tls_fingerprint: string;
}

/** GET /api/peers: a peer node and its link as this node's puller last saw it. */
export interface PeerLink {
  name: string;
  nation: string;
  url: string;
  node_id: string;
  fingerprint: string;
  level: string;
  added_at: string;
  pulled_at: string | null;
  received: number;
  refused: number;
  last_refusal: string | null;
  last_error: string | null;
  failed_at: string | null;
  state: "pending" | "awaiting_consent" | "up" | "failing";
  behind_seconds: number | null;
}

const STATE: Record<PeerLink["state"], [string, string, string]> = {
  // [label, chip class, what it means for the reader]
  pending: [tk("admin.peers.state.pending"), "pending", tk("admin.peers.state_help.pending")],
  awaiting_consent: [tk("admin.peers.state.awaiting_consent"), "pending", tk("admin.peers.state_help.awaiting_consent")],
  up: [tk("admin.peers.state.up"), "approved", tk("admin.peers.state_help.up")],
  failing: [tk("admin.peers.state.failing"), "rejected", tk("admin.peers.state_help.failing")],
};
/** How often the page reads the links again: a pull runs every few seconds on a live node. */
const REFRESH_MS = 5000;

/** "12 s" under a minute, else the shared span ("3 h 12 min"), in the reader's units and digits. */
function behind(seconds: number): string {
  if (seconds >= 60) return span(seconds * 1000);
  return new Intl.NumberFormat(locale.value, { style: "unit", unit: "second", unitDisplay: "short" })
    .format(Math.floor(seconds));
}

/** A fingerprint or key: always left to right, selectable as one piece. */
function Code({ value, testId }: { value: string; testId?: string }) {
  return <code dir="ltr" class="selectable" data-testid={testId}>{value}</code>;
}

function Identity({ node }: { node: NodeIdentity }) {
  return (
    <section class="card" aria-label={t("admin.peers.identity")} data-testid="node-identity">
      <h2>{t("admin.peers.identity")}</h2>
      <p class="muted">{t("admin.peers.identity_help")}</p>
      <dl class="facts">
        <dt>{t("admin.peers.nation")}</dt>
        <dd>{node.nation ? <code dir="ltr">{node.nation}</code> : t("admin.peers.no_nation")}</dd>
        <dt>{t("admin.peers.key_fingerprint")}</dt>
        <dd><Code value={node.fingerprint} testId="own-fingerprint" /></dd>
        <dt>{t("admin.peers.certificate_fingerprint")}</dt>
        <dd><Code value={node.tls_fingerprint} testId="own-certificate" /></dd>
        <dt>{t("admin.peers.key")}</dt>
        <dd><Code value={node.key} testId="own-key" /></dd>
        <dt>{t("admin.peers.node_id")}</dt>
        <dd><Code value={node.node_id} /></dd>
      </dl>
    </section>
  );
}

function LinkState({ peer }: { peer: PeerLink }) {
  const [label, chip, help] = STATE[peer.state];
  return (
    <span class={`chip ${chip}`} title={t(help)} data-testid="link-state" data-state={peer.state}>{t(label)}</span>
  );
}

/** The server's own words about a failed pull: kept for the curious, in a tooltip, left to right. */
function LastError({ peer }: { peer: PeerLink }) {
  if (!peer.last_error) return <span class="muted">—</span>;
  return (
    <span title={peer.last_error} data-testid="last-error">
      {t("admin.peers.failed_at")} {peer.failed_at ? <Time value={peer.failed_at} /> : null}
    </span>
  );
}

function RemovePeer({ peer, onRemoved }: { peer: PeerLink; onRemoved: () => void }) {
  const [asking, setAsking] = useState(false);
  const [error, setError] = useState<unknown>(null);
  async function remove() {
    setError(null);
    try {
      await api.del(`/api/peers/${encodeURIComponent(peer.name)}`);
      onRemoved();
    } catch (err) {
      setError(err);
    }
  }
  if (!asking) {
    return <button class="secondary" onClick={() => setAsking(true)}>{t("admin.peers.remove")}</button>;
  }
  return (
    <span class="confirm" role="group" aria-label={t("admin.peers.remove_confirm", { name: peer.name })}>
      <span>{t("admin.peers.remove_confirm", { name: peer.name })}</span>{" "}
      <button class="danger" onClick={() => void remove()}>{t("admin.peers.remove_yes")}</button>{" "}
      <button class="secondary" onClick={() => setAsking(false)}>{t("admin.peers.cancel")}</button>
      <ErrorText error={error} />
    </span>
  );
}

function AddPeerForm({ own, onAdded }: { own: string; onAdded: () => void }) {
  const partners = nations.value.filter((n) => n.code !== own);
  const [name, setName] = useState("");
  const [nation, setNation] = useState("");
  const [url, setUrl] = useState("");
  const [key, setKey] = useState("");
  // Never pre-set: the level exchanged with another nation is a deliberate choice (UI.md, safe by default).
  const [level, setLevel] = useState("");
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.post("/api/peers", { name, nation, url, key: key.trim(), level });
      setName("");
      setNation("");
      setUrl("");
      setKey("");
      setLevel("");
      onAdded();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <form class="card inline-form" onSubmit={submit} aria-label={t("admin.peers.add")} data-testid="peer-form">
      <h2>{t("admin.peers.add")}</h2>
      <p class="muted">{t("admin.peers.add_help")}</p>
      <label>
        {t("admin.peers.name")}
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required maxLength={63}
          pattern="[a-z0-9][a-z0-9.\-]{0,62}" dir="ltr" placeholder="irq-node" />
      </label>
      <label>
        {t("admin.peers.nation")}
        <select name="nation" value={nation} onChange={(e) => setNation(e.currentTarget.value)} required>
          <option value="" disabled>{t("admin.peers.choose")}</option>
          {partners.map((n) => <option key={n.code} value={n.code}>{n.code} — {n.name}</option>)}
        </select>
      </label>
      <label>
        {t("admin.peers.url")}
        <input name="url" type="url" value={url} onInput={(e) => setUrl(e.currentTarget.value)} required maxLength={500}
          dir="ltr" placeholder="https://node.example:8443" />
      </label>
      <label>
        {t("admin.peers.key")}
        <input name="key" value={key} onInput={(e) => setKey(e.currentTarget.value)} required maxLength={100} dir="ltr" />
      </label>
      <label>
        {t("admin.peers.level")}
        <select name="level" value={level} onChange={(e) => setLevel(e.currentTarget.value)} required>
          <option value="" disabled>{t("admin.peers.choose")}</option>
          {LEVELS.map((l) => <option key={l} value={l}>{levelLabel(l, own)}</option>)}
        </select>
      </label>
      <button class="primary" type="submit">{t("admin.peers.add_button")}</button>
      <ErrorText error={error} />
    </form>
  );
}

/** Federation for the node's own administrators: its identity, its peers and each link's state, adding
 * and removing peers. The server decides who may (administrators of the node's nation); anyone else
 * reads its refusal here. */
export function PeersAdmin() {
  const [node, setNode] = useState<NodeIdentity | null>(null);
  const [peers, setPeers] = useState<PeerLink[] | null>(null);
  const [error, setError] = useState<unknown>(null);
  // Refused once (not an administrator of the node's nation): asking again every few seconds changes nothing.
  const refused = useRef(false);
  async function load() {
    if (refused.current) return;
    try {
      const [n, p] = await Promise.all([api.get<NodeIdentity>("/api/node"), api.get<PeerLink[]>("/api/peers")]);
      setNode(n);
      setPeers(p);
      setError(null);
    } catch (err) {
      refused.current = err instanceof ApiError && (err.status === 401 || err.status === 403);
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    const timer = setInterval(() => void load(), REFRESH_MS);
    return () => clearInterval(timer);
  }, []);
  const own = node?.nation ?? null;
  const mayManage = own !== null && own === myNation.value;
  const columns: Column<PeerLink>[] = [
    { key: "name", label: t("admin.peers.name"), sort: (p) => p.name, render: (p) => <code dir="ltr" class="nowrap">{p.name}</code> },
    { key: "nation", label: t("admin.peers.nation"), sort: (p) => p.nation, render: (p) => <code dir="ltr">{p.nation}</code> },
    { key: "state", label: t("admin.peers.state"), sort: (p) => p.state, render: (p) => <LinkState peer={p} /> },
    {
      key: "behind", label: t("admin.peers.behind"), sort: (p) => p.behind_seconds ?? Number.MAX_SAFE_INTEGER,
      render: (p) => (p.behind_seconds === null ? <span class="muted">—</span>
        : <span data-testid="behind">{behind(p.behind_seconds)}</span>),
    },
    {
      key: "pulled", label: t("admin.peers.pulled_at"), sort: (p) => p.pulled_at ?? "",
      render: (p) => (p.pulled_at ? <Time value={p.pulled_at} seconds /> : <span class="muted">—</span>),
    },
    {
      key: "counts", label: t("admin.peers.received_refused"), sort: (p) => p.received,
      render: (p) => (
        <span title={p.last_refusal ?? undefined}>{formatNumber(p.received)} / {formatNumber(p.refused)}</span>
      ),
    },
    { key: "error", label: t("admin.peers.last_error"), render: (p) => <LastError peer={p} /> },
    {
      key: "level", label: t("admin.peers.level"), sort: (p) => p.level,
      render: (p) => <span class={`marking ${levelClass(p.level)}`}><bdi>{levelLabel(p.level, own ?? undefined)}</bdi></span>,
    },
    {
      key: "key", label: t("admin.peers.key_fingerprint"),
      render: (p) => <span title={p.url}><Code value={p.fingerprint} /></span>,
    },
    ...(mayManage ? [{ key: "actions", label: "", render: (p: PeerLink) => <RemovePeer peer={p} onRemoved={() => void load()} /> }] : []),
  ];
  return (
    <section aria-label={t("admin.tab.peers")} data-testid="peers-admin">
      <p class="muted">{t("admin.peers.rule")}</p>
      {error instanceof ApiError && error.status === 403
        ? <p class="form-error" role="alert" data-testid="peers-refused">{t("admin.peers.refused")}</p>
        : <ErrorText error={error} />}
      {node && <Identity node={node} />}
      {node && own === null && <div class="card notice" role="status">{t("admin.peers.no_nation_help")}</div>}
      {peers && (
        <div class="table-scroll">
          <SortableTable rows={peers} columns={columns} rowKey={(p) => p.name} testId="peers" empty={t("admin.peers.none")} />
        </div>
      )}
      {mayManage && own && <AddPeerForm own={own} onAdded={() => void load()} />}
    </section>
  );
}
