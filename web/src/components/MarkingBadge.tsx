import { levelClass, markingSegments, markingText, type Marking, useMarkingsOnScreen } from "../markings";

/** Every card, row and popup shows its own marking; showing it also counts it for the banner. */
export function MarkingBadge({ marking, compact = false, counts = true }: { marking: Marking; compact?: boolean; counts?: boolean }) {
  // A ceiling or a default is shown but is not content: it does not raise the banner.
  useMarkingsOnScreen(counts ? [marking] : []);
  const [level, ...rest] = markingSegments(marking);
  const tlp = rest.pop() ?? "";
  return (
    <span class={`marking ${levelClass(marking.level)}`} title={markingText(marking)} data-testid="marking">
      <bdi class="marking-level">{level}</bdi>
      {!compact && rest.map((s) => <bdi key={s}>// {s}</bdi>)}
      <span class={`tlp tlp-${marking.tlp.replace("+", "-").toLowerCase()}`}>{tlp}</span>
    </span>
  );
}
