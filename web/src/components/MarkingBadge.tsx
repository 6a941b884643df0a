import { audience, levelClass, levelLabel, markingText, type Marking, useMarkingsOnScreen } from "../markings";

/** Every card, row and popup shows its own marking; showing it also counts it for the banner. */
export function MarkingBadge({ marking, compact = false }: { marking: Marking; compact?: boolean }) {
  useMarkingsOnScreen([marking]);
  return (
    <span class={`marking ${levelClass(marking.level)}`} title={`${markingText(marking)} · TLP:${marking.tlp}`}>
      <b>{levelLabel(marking.level)}</b>
      {!compact && marking.caveats.map((c) => <span key={c}> // {c}</span>)}
      {!compact && <span> // REL {audience(marking).join(", ")}</span>}
      <span class={`tlp tlp-${marking.tlp.replace("+", "-").toLowerCase()}`}>TLP:{marking.tlp}</span>
    </span>
  );
}
