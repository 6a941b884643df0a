import { useState } from "preact/hooks";
import { now } from "../clock";
import { span, zulu } from "../format";
import { t } from "../i18n";

const RANGE_MINUTES = 7 * 24 * 60;
const STEP_MINUTES = 15;

/** Shows the picture at any past moment of the last week; "live" follows now. */
export function TimeSlider({ value, onChange }: { value: Date | null; onChange: (d: Date | null) => void }) {
  const current = now.value;
  // While dragging only the label moves; the picture reloads when the thumb is released.
  const [dragMinutes, setDragMinutes] = useState<number | null>(null);
  const offset = dragMinutes ?? (value ? Math.round((value.getTime() - current.getTime()) / 60000) : 0);
  const shown = dragMinutes === null ? value : new Date(current.getTime() + dragMinutes * 60000);
  return (
    <section class={`panel time-slider ${value ? "past" : "live"}`} aria-label={t("time.slider")} data-testid="time-slider">
      <button
        class={`live-button ${value ? "" : "active"}`}
        onClick={() => (setDragMinutes(null), onChange(null))}
        aria-pressed={!value}
      >
        ● {t("time.live")}
      </button>
      <input
        type="range"
        min={-RANGE_MINUTES}
        max={0}
        step={STEP_MINUTES}
        value={offset}
        aria-label={t("time.slider")}
        aria-valuetext={shown ? zulu(shown) : t("time.live")}
        onInput={(e) => setDragMinutes(Number(e.currentTarget.value))}
        onChange={(e) => {
          const minutes = Number(e.currentTarget.value);
          setDragMinutes(null);
          onChange(minutes >= 0 ? null : new Date(current.getTime() + minutes * 60000));
        }}
      />
      <span class="time-readout" dir="auto">
        {shown ? (
          <>
            <b>{zulu(shown)}</b> <span class="muted">{t("time.ago", { span: span(current.getTime() - shown.getTime()) })}</span>
          </>
        ) : (
          <b>{zulu(current, true)}</b>
        )}
      </span>
    </section>
  );
}
