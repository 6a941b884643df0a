import { itemTypeName } from "../codes";
import type { DraftOverlap } from "../features/operations";
import { formatNumber, t } from "../i18n";

/** Square metres in the unit a planner reads at a glance: km² from a tenth of one, m² below. */
function areaText(m2: number): string {
  return m2 >= 100_000
    ? t("ops.preview.area_km2", { area: formatNumber(m2 / 1e6, { maximumFractionDigits: 1 }) })
    : t("ops.preview.area_m2", { area: formatNumber(Math.round(m2)) });
}

/** The editor's live check of the draft: what it would overlap among the items the reader may see. */
export function DraftOverlaps({ found, checking }: { found: readonly DraftOverlap[] | null; checking: boolean }) {
  return (
    <section class="draft-overlaps" aria-live="polite" data-testid="draft-overlaps">
      <h2>{t("ops.preview.title")}</h2>
      {found === null ? (
        <p class="muted">{checking ? t("ops.preview.checking") : t("ops.preview.draw_first")}</p>
      ) : found.length === 0 ? (
        <p class="ok" data-testid="draft-overlaps-none">{t("ops.preview.none")}</p>
      ) : (
        <>
          <p class="warn-text" data-testid="draft-overlaps-count">{t("ops.preview.count", { count: found.length })}</p>
          <ul class="conflict-list">
            {found.map((o) => (
              <li key={o.item} class="conflict conflict-open" data-testid="draft-overlap" data-item={o.item}>
                <div class="conflict-head">
                  <span class="muted">{itemTypeName(o.kind)}</span>
                  <bdi dir="auto">
                    <strong>{o.name}</strong>
                  </bdi>
                </div>
                <span class="muted">{areaText(o.area_m2)}</span>
              </li>
            ))}
          </ul>
        </>
      )}
      <p class="hint">{t("ops.preview.scope")}</p>
    </section>
  );
}
