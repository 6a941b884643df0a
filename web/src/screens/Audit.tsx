import { auditActionName, itemTypeName } from "../codes";
import { useEffect, useState } from "preact/hooks";
import { api, ApiError } from "../api";
import { ErrorText } from "../components/ErrorText";
import { Time } from "../components/Time";
import { formatNumber, t } from "../i18n";
import { verifyInclusion, type InclusionCheck } from "../merkle";
import { realtime } from "../realtime";
import { nations } from "../session";

interface Checkpoint {
  size: number;
  root_hash: string;
  issued_at: string;
  cosigned_by: string[];
  checkpoint: string;
  log_key: string;
}

interface Leaf {
  index: number;
  leaf_hash: string;
  entry: Record<string, unknown> | null;
}

const PAGE = 50;

function Verification({ index }: { index: number }) {
  const [state, setState] = useState<"idle" | "busy" | InclusionCheck | Error>("idle");
  async function verify() {
    setState("busy");
    try {
      const proof = await api.get<Parameters<typeof verifyInclusion>[0]>(`/api/audit/proof/inclusion/${index}`);
      setState(await verifyInclusion(proof));
    } catch (err) {
      setState(err instanceof Error ? err : new Error(String(err)));
    }
  }
  if (state === "idle" || state === "busy")
    return (
      <button class="secondary" disabled={state === "busy"} onClick={() => void verify()} data-testid={`verify-${index}`}>
        {t("audit.verify")}
      </button>
    );
  if (state instanceof Error) return <span class="form-error">{state.message}</span>;
  const ok = state.rootMatches && state.leafMatches !== false;
  return (
    <span class={`chip ${ok ? "approved" : "rejected"}`} data-testid={`verified-${index}`} title={t("audit.verified_detail", { size: state.size })}>
      {ok ? t("audit.verified") : t("audit.verify_failed")}
      {state.leafMatches === null && ` · ${t("audit.hash_only")}`}
    </span>
  );
}

function describe(entry: Record<string, unknown> | null): string {
  if (!entry) return "";
  return `${auditActionName(String(entry["action"]))} · ${itemTypeName(String(entry["item_type"]))} ${String(entry["item_id"])}`;
}

function shown(leaf: Leaf, hideReads: boolean, query: string): boolean {
  if (hideReads && leaf.entry?.["action"] === "read") return false;
  const q = query.trim().toLowerCase();
  if (!q) return true;
  if (!leaf.entry) return false;
  const text = `${describe(leaf.entry)} ${String(leaf.entry["action"])} ${String(leaf.entry["item_type"])} ${String(leaf.entry["actor_nation"] ?? "")}`;
  return text.toLowerCase().includes(q);
}

/** The audit log: latest checkpoint, who has cosigned it, entries with in-browser verification. */
export function Audit() {
  const [checkpoint, setCheckpoint] = useState<Checkpoint | null>(null);
  const [leaves, setLeaves] = useState<Leaf[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [exporting, setExporting] = useState(false);
  // Paging back through the log (null: the latest entries), reads hidden by default (they are most
  // of the log), and a search within the page by action, item or nation.
  const [end, setEnd] = useState<number | null>(null);
  const [hideReads, setHideReads] = useState(true);
  const [query, setQuery] = useState("");

  async function load() {
    try {
      const cp = await api.get<Checkpoint>("/api/audit/checkpoint");
      setCheckpoint(cp);
      const last = Math.min(end ?? cp.size, cp.size);
      const start = Math.max(0, last - PAGE);
      const rows = await api.get<Leaf[]>(`/api/audit/entries?start=${start}&end=${last}`);
      setLeaves(rows.reverse());
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    // Live only on the latest page: an older page stays put while one reads it.
    return end === null ? realtime.on("audit", () => void load()) : undefined;
  }, [realtime.resyncs.value, end]);

  async function exportBundle() {
    setExporting(true);
    try {
      const bundle = await api.get<unknown>("/api/audit/export");
      const blob = new Blob([JSON.stringify(bundle)], { type: "application/json" });
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = `concord-audit-${checkpoint?.size ?? 0}.json`;
      link.click();
      URL.revokeObjectURL(link.href);
    } catch (err) {
      setError(err);
    } finally {
      setExporting(false);
    }
  }

  if (error instanceof ApiError && error.status === 404 && !checkpoint) {
    return (
      <main class="page">
        <h1>{t("nav.audit")}</h1>
        <p class="muted">{t("pending.body")}</p>
      </main>
    );
  }

  return (
    <main class="page audit" data-testid="audit">
      <h1>{t("nav.audit")}</h1>
      <ErrorText error={error} />
      {checkpoint && (
        <section class="card checkpoint">
          <h2>{t("audit.latest_checkpoint")}</h2>
          <dl class="facts">
            <dt>{t("audit.size")}</dt>
            <dd>{formatNumber(checkpoint.size)}</dd>
            <dt>{t("audit.issued")}</dt>
            <dd>
              <Time value={checkpoint.issued_at} />
            </dd>
            <dt>{t("audit.root")}</dt>
            <dd>
              <code class="hash" dir="ltr">{checkpoint.root_hash}</code>
            </dd>
            <dt>{t("audit.cosignatures")}</dt>
            <dd class="chips">
              {nations.value.map((n) => {
                const signed = checkpoint.cosigned_by.includes(n.code);
                return (
                  <span key={n.code} class={`chip ${signed ? "approved" : "pending"}`} data-testid={`cosign-${n.code}`}>
                    {n.code} {signed ? `✓ ${t("audit.cosigned")}` : `… ${t("audit.not_cosigned")}`}
                  </span>
                );
              })}
            </dd>
          </dl>
          <details>
            <summary>{t("audit.note")}</summary>
            <pre dir="ltr">{checkpoint.checkpoint}</pre>
          </details>
          <button class="primary" onClick={() => void exportBundle()} disabled={exporting}>
            {t("audit.export")}
          </button>
        </section>
      )}
      <h2>{t("audit.entries")}</h2>
      <div class="toolbar audit-tools">
        <label class="check">
          <input type="checkbox" checked={hideReads} onChange={(e) => setHideReads(e.currentTarget.checked)} data-testid="audit-hide-reads" />
          {t("audit.hide_reads")}
        </label>
        <label>
          {t("audit.search")}
          <input type="search" value={query} onInput={(e) => setQuery(e.currentTarget.value)} data-testid="audit-search" />
        </label>
        {leaves.length > 0 && checkpoint && (
          <span class="muted" data-testid="audit-range">
            {t("audit.range", { from: leaves[leaves.length - 1]!.index, to: leaves[0]!.index, size: checkpoint.size })}
          </span>
        )}
        <span class="row-actions">
          <button class="secondary" disabled={!leaves.length || leaves[leaves.length - 1]!.index === 0}
                  onClick={() => setEnd(leaves[leaves.length - 1]!.index)} data-testid="audit-older">
            {t("audit.older")}
          </button>
          <button class="secondary" disabled={end === null} onClick={() => setEnd(null)} data-testid="audit-latest">
            {t("audit.latest")}
          </button>
        </span>
      </div>
      <table class="grid" data-testid="audit-entries">
        <thead>
          <tr>
            <th>#</th>
            <th>{t("audit.time")}</th>
            <th>{t("audit.actor")}</th>
            <th>{t("audit.action")}</th>
            <th>{t("audit.leaf")}</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {leaves.filter((leaf) => shown(leaf, hideReads, query)).map((leaf) => (
            <tr key={leaf.index}>
              <td>{formatNumber(leaf.index)}</td>
              <td>{leaf.entry ? <Time value={String(leaf.entry["time"])} seconds /> : <span class="muted">{t("audit.restricted")}</span>}</td>
              <td>{leaf.entry ? String(leaf.entry["actor_nation"] ?? t("audit.system")) : ""}</td>
              <td>{describe(leaf.entry)}</td>
              <td>
                <code class="hash" dir="ltr">{leaf.leaf_hash.slice(0, 16)}…</code>
              </td>
              <td>
                <Verification index={leaf.index} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </main>
  );
}
