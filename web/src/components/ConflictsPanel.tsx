import { useState } from "preact/hooks";
import { conflicts as conflictApi, type Conflict } from "../features/operations";
import { formatNumber, t, tk } from "../i18n";
import { hasRole, me } from "../session";
import { ErrorText } from "./ErrorText";
import { Time } from "./Time";

export const CONFLICT_STATUS_KEYS: Record<Conflict["status"] | "overridden", string> = {
  open: tk("conflict.status.open"),
  acknowledged: tk("conflict.status.acknowledged"),
  resolved: tk("conflict.status.resolved"),
  overridden: tk("conflict.status.overridden"),
};

/** As this operation's reader sees it: a conflict overridden for the operation's current version by
 * every nation concerned no longer stands in its way ("overridden", not "open"); while a nation has
 * still to clear it, it stands. Only standing ones are counted. */
export function shownStatus(conflict: Conflict, operationId: number, version: number): Conflict["status"] | "overridden" {
  if (conflict.status === "resolved") return "resolved";
  if ((conflict.awaiting_nations ?? []).length > 0) return conflict.status;
  const overridden = conflict.overrides?.some((o) => o.item === `operation:${operationId}` && o.version === version);
  return overridden ? "overridden" : conflict.status;
}

/** Whether the reader's own nation has overridden it for this version already (each nation once). */
function overriddenByMine(conflict: Conflict, operationId: number, version: number): boolean {
  const nation = me.value?.nation;
  return !!conflict.overrides?.some((o) => o.item === `operation:${operationId}` && o.version === version && o.nation === nation);
}

type Action = "acknowledge" | "resolve" | "override";

function ConflictRow({ conflict, operationId, version, onChange }: { conflict: Conflict; operationId: number; version: number; onChange: () => void }) {
  const status = shownStatus(conflict, operationId, version);
  const [action, setAction] = useState<Action | null>(null);
  const [note, setNote] = useState("");
  const [error, setError] = useState<unknown>(null);
  async function submit(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      if (action === "acknowledge") await conflictApi.acknowledge(conflict.conflict_id, note);
      else if (action === "resolve") await conflictApi.resolve(conflict.conflict_id, note);
      else if (action === "override") await conflictApi.override(conflict.conflict_id, operationId, note);
      setAction(null);
      setNote("");
      onChange();
    } catch (err) {
      setError(err);
    }
  }
  const km2 = conflict.area_m2 / 1e6;
  return (
    <li class={`conflict conflict-${status}`} data-testid="conflict" data-status={status}>
      <div class="conflict-head">
        <span class={`chip ${status === "resolved" ? "approved" : status === "open" ? "rejected" : "pending"}`}>
          {t(CONFLICT_STATUS_KEYS[status])}
        </span>
        <b>{conflict.sides ? conflict.sides.map((s) => s.name).join(" ⟷ ") : t("conflict.restricted_other")}</b>
      </div>
      <div class="muted">
        {t("conflict.overlap", { area: formatNumber(km2, { maximumFractionDigits: 2 }) })}
        {conflict.starts_at && (
          <>
            {" · "}
            <Time value={conflict.starts_at} /> <span class="dir-arrow" aria-hidden="true">→</span> {conflict.ends_at ? <Time value={conflict.ends_at} /> : "…"}
          </>
        )}
      </div>
      {conflict.restricted && conflict.contact && <div class="muted">{t("conflict.contact", { contact: conflict.contact })}</div>}
      {(conflict.awaiting_nations ?? []).length > 0 && (
        <div class="muted" data-testid="conflict-awaiting">
          {t("conflict.awaiting", { nations: (conflict.awaiting_nations ?? []).join(", ") })}
        </div>
      )}
      {conflict.overrides?.map((o) => (
        <div key={`${o.item}-${o.version}-${o.nation}`} class="override">
          ⚠ {t("conflict.overridden", { nation: o.nation, version: o.version })}: “{o.justification}”
        </div>
      ))}
      {conflict.status !== "resolved" &&
        (action ? (
          <form class="inline-form conflict-form" onSubmit={submit}>
            <input
              value={note}
              onInput={(e) => setNote(e.currentTarget.value)}
              placeholder={action === "override" ? t("conflict.justification") : t("conflict.note")}
              required
              aria-label={action === "override" ? t("conflict.justification") : t("conflict.note")}
            />
            <button class={action === "override" ? "danger" : "primary"} type="submit">
              {action === "acknowledge" ? t("conflict.acknowledge") : action === "resolve" ? t("conflict.resolve") : t("conflict.override")}
            </button>
            <button type="button" class="link" onClick={() => setAction(null)}>
              {t("draw.cancel")}
            </button>
          </form>
        ) : (
          <div class="row-actions">
            {conflict.status === "open" && (
              <button class="secondary" onClick={() => setAction("acknowledge")}>
                {t("conflict.acknowledge")}
              </button>
            )}
            <button class="secondary" onClick={() => setAction("resolve")}>
              {t("conflict.resolve")}
            </button>
            {hasRole("commander") && !conflict.restricted && status !== "overridden" &&
              !overriddenByMine(conflict, operationId, version) && (
              <button class="secondary" onClick={() => setAction("override")}>
                {t("conflict.override")}
              </button>
            )}
          </div>
        ))}
      <ErrorText error={error} />
    </li>
  );
}

/** Conflicts of one operation: acknowledge, resolve, or (commanders) override with a justification. */
export function ConflictsPanel({ list, operationId, version, onChange }: { list: readonly Conflict[]; operationId: number; version: number; onChange: () => void }) {
  const standing = list.filter((c) => ["open", "acknowledged"].includes(shownStatus(c, operationId, version))).length;
  return (
    <section class="card conflicts-panel" data-testid="conflicts-panel">
      <h2>
        {t("conflict.title")}{" "}
        <span class={`badge ${standing ? "" : "zero"}`} data-testid="conflicts-standing">{formatNumber(standing)}</span>
      </h2>
      {list.length === 0 ? (
        <p class="muted empty">{t("conflict.none")}</p>
      ) : (
        <ul class="conflict-list">
          {list.map((c) => (
            <ConflictRow key={c.conflict_id} conflict={c} operationId={operationId} version={version} onChange={onChange} />
          ))}
        </ul>
      )}
    </section>
  );
}
