import { symbolSvg } from "../map/symbols";
import type { SyncMatrix as Matrix } from "../features/operations";
import { t } from "../i18n";
import { Time } from "./Time";

function position(m: Matrix, start: string | null, end: string | null): { left: number; width: number } | null {
  if (!start || !end) return null;
  const s0 = Date.parse(m.window.starts_at);
  const span = Date.parse(m.window.ends_at) - s0 || 1;
  const left = Math.max(0, ((Date.parse(start) - s0) / span) * 100);
  const width = Math.max(1, Math.min(100 - left, ((Date.parse(end) - Date.parse(start)) / span) * 100));
  return { left, width };
}

/** The synchronisation matrix as a timeline: phases down, time across, each nation's forces and tasks. */
export function SyncMatrix({ matrix }: { matrix: Matrix }) {
  return (
    <table class="grid sync-matrix" data-testid="sync-matrix">
      <thead>
        <tr>
          <th>{t("ops.phase")}</th>
          <th class="timeline-head">
            <Time value={matrix.window.starts_at} /> <span class="dir-arrow" aria-hidden="true">→</span> <Time value={matrix.window.ends_at} />
          </th>
          {matrix.nations.map((n) => (
            <th key={n}>{n}</th>
          ))}
        </tr>
      </thead>
      <tbody>
        {matrix.rows.map((row) => {
          const bar = position(matrix, row.starts_at, row.ends_at);
          return (
            <tr key={row.phase}>
              <td>
                <b>{row.phase === "(whole operation)" ? t("ops.whole_operation") : row.phase === "(outside any phase)" ? t("ops.outside_phases") : row.phase}</b>
              </td>
              <td class="timeline">
                {bar && (
                  <div class="timeline-track" dir="ltr">
                    <div class="timeline-bar" style={{ left: `${bar.left}%`, width: `${bar.width}%` }} title={`${row.starts_at} → ${row.ends_at}`} />
                  </div>
                )}
              </td>
              {matrix.nations.map((n) => {
                const cell = row.cells[n];
                return (
                  <td key={n}>
                    {cell?.forces.map((f) => (
                      <div key={f.name} class="force">
                        <span class="force-symbol" dangerouslySetInnerHTML={{ __html: f.sidc.length === 15 ? symbolSvg(f.sidc, 14) : "" }} />
                        {f.name}
                      </div>
                    ))}
                    {cell?.tasks.map((task) => (
                      <div key={task.title} class={`task task-${task.status}`}>
                        ▸ {task.title} <span class="muted">(<Time value={task.due_at} />)</span>
                      </div>
                    ))}
                  </td>
                );
              })}
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
