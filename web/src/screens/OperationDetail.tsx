import { useEffect, useState } from "preact/hooks";
import { ApprovalChips } from "../components/ApprovalChips";
import { AreaMap, type Shape } from "../components/AreaMap";
import { ConflictsPanel } from "../components/ConflictsPanel";
import { ErrorText } from "../components/ErrorText";
import { MarkingBadge } from "../components/MarkingBadge";
import { SyncMatrix } from "../components/SyncMatrix";
import { Time } from "../components/Time";
import { operations, STATUS_COLOURS, STATUS_KEYS, type Conflict, type Operation, type SyncMatrix as Matrix } from "../features/operations";
import { t, tk } from "../i18n";
import { personName } from "../features/directory";
import { realtime } from "../realtime";
import { navigate } from "../router";
import { hasRole, me } from "../session";

interface PlanVersion {
  version: number;
  plan: Record<string, unknown>;
  created_by: number;
  created_at: string;
}

// What a reader compares between two versions of a plan, in the reader's words.
const PLAN_FIELDS: [string, string][] = [
  ["name", tk("ops.name")],
  ["objective", tk("ops.objective")],
  ["window", tk("ops.window")],
  ["area", tk("ops.area")],
  ["participants", tk("ops.participants")],
  ["phases", tk("ops.phases")],
  ["tasks", tk("ops.tasks")],
];

/** Which parts of the plan changed from one version to the next. */
export function changedFields(before: Record<string, unknown>, after: Record<string, unknown>): string[] {
  return PLAN_FIELDS.filter(([field]) => JSON.stringify(before[field]) !== JSON.stringify(after[field])).map(([, key]) => key);
}

/** Every proposed version of the plan: when, by whom, and what changed from the one before. */
function VersionHistory({ id, current }: { id: number; current: number }) {
  const [versions, setVersions] = useState<PlanVersion[]>([]);
  useEffect(() => {
    void operations.versions(id).then(setVersions, () => setVersions([]));
  }, [id, current]);
  if (!versions.length) return null;
  return (
    <section class="card versions" data-testid="versions">
      <h2>{t("ops.versions")}</h2>
      <ol class="plain">
        {[...versions].reverse().map((v, i, all) => {
          const previous = all[i + 1];
          const changed = previous ? changedFields(previous.plan, v.plan) : [];
          return (
            <li key={v.version} data-testid={`version-${v.version}`}>
              <b>v{v.version}</b> · <Time value={v.created_at} /> · {personName(v.created_by)}
              {previous && (
                <span class="muted">
                  {" "}
                  — {t("ops.changed")}: {changed.length ? changed.map((key) => t(key)).join(", ") : t("ops.unchanged")}
                </span>
              )}
            </li>
          );
        })}
      </ol>
    </section>
  );
}

export function OperationDetail({ id }: { id: number }) {
  const [op, setOp] = useState<Operation | null>(null);
  const [conflictList, setConflicts] = useState<Conflict[]>([]);
  const [matrix, setMatrix] = useState<Matrix | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [reason, setReason] = useState("");
  const [asking, setAsking] = useState<"reject" | "cancel" | null>(null);

  async function load() {
    try {
      const [o, c, m] = await Promise.all([operations.get(id), operations.conflicts(id), operations.matrix(id)]);
      setOp(o);
      setConflicts(c);
      setMatrix(m);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    const reload = () => void load();
    const offs = [realtime.on("operation", reload), realtime.on("conflict", reload)];
    return () => offs.forEach((off) => off());
  }, [id, realtime.resyncs.value]);

  async function act(run: () => Promise<Operation>) {
    setError(null);
    try {
      setOp(await run());
      setAsking(null);
      setReason("");
      void load();
    } catch (err) {
      setError(err);
    }
  }

  if (!op) {
    return (
      <main class="page">
        <ErrorText error={error} />
        {!error && <p class="muted">{t("app.loading")}</p>}
      </main>
    );
  }
  const nation = me.value?.nation ?? "";
  const participating = op.plan.participants.includes(nation);
  const isCommander = hasRole("commander");
  const myDecision = op.approvals.find((a) => a.nation === nation && a.version === op.version);
  const shapes: Shape[] = [
    { geometry: op.plan.area, color: STATUS_COLOURS[op.status], dashed: op.status === "draft" || op.status === "proposed", label: op.plan.name },
    ...conflictList.filter((c) => c.status !== "resolved").map((c) => ({ geometry: c.overlap, color: "#e040fb", label: t("conflict.title") })),
  ];

  return (
    <main class="page operation" data-testid="operation">
      <div class="page-head">
        <button class="link" onClick={() => navigate("/operations")}>
          <span class="dir-arrow" aria-hidden="true">←</span> {t("nav.operations")}
        </button>
        <MarkingBadge marking={op.marking} />
      </div>
      <h1>
        <bdi>{op.plan.name}</bdi> <span class={`status status-${op.status}`} data-testid="operation-status">{t(STATUS_KEYS[op.status])}</span>{" "}
        <span class="muted">v{op.version}</span>
      </h1>
      <ErrorText error={error} />
      <div class="split">
        <div class="stack">
          <section class="card">
            <dl class="facts">
              <dt>{t("ops.objective")}</dt>
              <dd dir="auto">{op.plan.objective}</dd>
              <dt>{t("ops.lead")}</dt>
              <dd>{op.plan.lead_nation}</dd>
              <dt>{t("ops.window")}</dt>
              <dd>
                <Time value={op.plan.window.starts_at} /> <span class="dir-arrow" aria-hidden="true">→</span> <Time value={op.plan.window.ends_at} />
              </dd>
              <dt>{t("ops.approvals")}</dt>
              <dd>
                <ApprovalChips op={op} />
              </dd>
            </dl>
            <div class="row-actions">
              {(op.status === "draft" || op.status === "proposed" || op.status === "approved") && op.plan.lead_nation === nation && (
                <button class="secondary" onClick={() => navigate(`/operations/${op.id}/edit`)}>
                  {t("ops.edit")}
                </button>
              )}
              {op.status === "draft" && op.plan.lead_nation === nation && (
                <button class="primary" onClick={() => void act(() => operations.propose(op.id))} data-testid="propose">
                  {t("ops.propose")}
                </button>
              )}
              {op.status === "proposed" && participating && isCommander && !myDecision && (
                <>
                  <button
                    class="primary"
                    onClick={() => void act(() => operations.approve(op.id, op.version))}
                    data-testid="approve"
                    disabled={op.blocking_conflicts > 0}
                    aria-describedby={op.blocking_conflicts > 0 ? "approve-blocked" : undefined}
                  >
                    {t("ops.approve", { version: op.version })}
                  </button>
                  <button class="danger" onClick={() => setAsking("reject")}>
                    {t("ops.reject")}
                  </button>
                </>
              )}
              {op.status === "approved" && op.plan.lead_nation === nation && (
                <button class="primary" onClick={() => void act(() => operations.activate(op.id))}>
                  {t("ops.activate")}
                </button>
              )}
              {op.status === "active" && op.plan.lead_nation === nation && (
                <button class="primary" onClick={() => void act(() => operations.complete(op.id))}>
                  {t("ops.complete")}
                </button>
              )}
              {!["completed", "cancelled"].includes(op.status) && op.plan.lead_nation === nation && (
                <button class="secondary" onClick={() => setAsking("cancel")}>
                  {t("ops.cancel")}
                </button>
              )}
            </div>
            {op.status === "proposed" && participating && isCommander && !myDecision && op.blocking_conflicts > 0 && (
              <p class="blocked-reason" id="approve-blocked" data-testid="approve-blocked">
                {t("ops.approve_blocked", { count: op.blocking_conflicts })}
              </p>
            )}
            {asking && (
              <form
                class="inline-form reason-form"
                onSubmit={(e) => {
                  e.preventDefault();
                  void act(() => (asking === "reject" ? operations.reject(op.id, op.version, reason) : operations.cancel(op.id, reason)));
                }}
              >
                <label>
                  {t("ops.reason")}
                  <input value={reason} onInput={(e) => setReason(e.currentTarget.value)} required />
                </label>
                <button class="danger" type="submit">
                  {asking === "reject" ? t("ops.reject") : t("ops.cancel")}
                </button>
              </form>
            )}
          </section>
          <ConflictsPanel list={conflictList} operationId={op.id} version={op.version} onChange={() => void load()} />
        </div>
        <AreaMap shapes={shapes} testId="operation-map" />
      </div>
      {matrix && (
        <section class="matrix-section">
          <h2>
            {t("ops.sync_matrix")}{" "}
            <a class="small" href={`/api/operations/${op.id}/sync-matrix.csv`} download data-testid="sync-csv">
              CSV ↓
            </a>
          </h2>
          <SyncMatrix matrix={matrix} />
        </section>
      )}
      <VersionHistory id={op.id} current={op.version} />
    </main>
  );
}
