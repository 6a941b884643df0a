import { signal } from "@preact/signals";
import { alerts, unacknowledged, type Alert } from "../alerts";
import { formatNumber, t, tk } from "../i18n";
import { navigate } from "../router";
import { MarkingBadge } from "./MarkingBadge";
import { Time } from "./Time";

const KIND_KEYS: Record<Alert["kind"], string> = {
  flash: tk("alert.flash"),
  immediate: tk("alert.immediate"),
  conflict: tk("alert.conflict"),
  rfi_overdue: tk("alert.rfi_overdue"),
};

const open = signal(true);

/** Conflicts, FLASH traffic and overdue RFIs, most urgent first, acknowledgeable in one click. */
export function AlertRail() {
  const list = alerts.value;
  return (
    <aside class={`panel alert-rail ${open.value ? "" : "closed"}`} aria-label={t("alert.rail")} data-testid="alert-rail">
      <h2>
        <button class="link" onClick={() => (open.value = !open.value)} aria-expanded={open.value}>
          {t("alert.rail")} <span class={`badge ${unacknowledged.value.length ? "" : "zero"}`}>{formatNumber(unacknowledged.value.length)}</span>
        </button>
      </h2>
      {open.value &&
        (list.length === 0 ? (
          <p class="muted empty">{t("alert.none")}</p>
        ) : (
          <ol>
            {list.map((a) => (
              <li key={a.key} class={`alert alert-${a.kind} ${a.acknowledged ? "acked" : ""}`}>
                <div class="alert-head">
                  <span class="alert-kind">{t(KIND_KEYS[a.kind])}</span>
                  <Time value={a.at} />
                </div>
                {a.marking && <MarkingBadge marking={a.marking} compact />}
                <a
                  href={a.href ?? "#"}
                  onClick={(e) => {
                    e.preventDefault();
                    if (a.href) navigate(a.href);
                  }}
                >
                  {a.title}
                </a>
                {a.detail && <div class="muted">{a.detail}</div>}
                {!a.acknowledged && a.acknowledge && (
                  <button class="ack" onClick={() => a.acknowledge?.().catch(() => undefined)}>
                    {t("alert.acknowledge")}
                  </button>
                )}
              </li>
            ))}
          </ol>
        ))}
    </aside>
  );
}
