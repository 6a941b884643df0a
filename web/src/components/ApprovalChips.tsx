import type { Operation } from "../features/operations";
import { personName } from "../features/directory";
import { t } from "../i18n";
import { Time } from "./Time";

/** One chip per participating nation: pending, approved (who, when) or rejected (reason), and the version. */
export function ApprovalChips({ op }: { op: Operation }) {
  return (
    <div class="chips approvals" data-testid="approvals">
      {op.plan.participants.map((nation) => {
        const decision = op.approvals
          .filter((a) => a.nation === nation && a.version === op.version)
          .sort((a, b) => b.at.localeCompare(a.at))[0];
        const earlier = op.approvals.find((a) => a.nation === nation && a.version < op.version && a.decision === "approved");
        if (!decision) {
          return (
            <span key={nation} class="chip pending" data-testid={`approval-${nation}`} data-state="pending">
              <b>{nation}</b> … {t("approval.pending")} · v{op.version}
              {earlier && <span class="muted"> ({t("approval.void", { version: earlier.version })})</span>}
            </span>
          );
        }
        return (
          <span
            key={nation}
            class={`chip ${decision.decision}`}
            data-testid={`approval-${nation}`}
            data-state={decision.decision}
            title={decision.reason ?? ""}
          >
            <b>{nation}</b> {decision.decision === "approved" ? `✓ ${t("approval.approved")}` : `✗ ${t("approval.rejected")}`} · v{decision.version} ·{" "}
            {personName(decision.person_id)} · <Time value={decision.at} />
            {decision.reason && <span> · “{decision.reason}”</span>}
          </span>
        );
      })}
    </div>
  );
}
