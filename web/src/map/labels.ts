// Labels of what the picture draws (operation areas, tracks), placed so that none lies on a symbol or
// on another label: every symbol's box is taken first, then area names at their area's centre, then
// each point's label beside its symbol, on the reading side first and else the other side; a label
// that fits nowhere is left out until a zoom makes room.
import { type Box, declutter, labelWidth } from "./declutter";

export interface LabelCandidate {
  key: string;
  /** Empty for a symbol that has no label (its box is still taken). */
  text: string;
  /** Screen position: an area's centre, or a point's symbol box. */
  at: { x: number; y: number };
  symbol?: Box;
}

export interface PlacedLabel {
  key: string;
  text: string;
  box: Box;
}

const HEIGHT = 16;
const GAP = 4;

export function placeLabels(
  candidates: readonly LabelCandidate[],
  view: { width: number; height: number },
  rtl = false,
  width: (text: string) => number = labelWidth,
): PlacedLabel[] {
  const taken: Box[] = candidates.flatMap((c) => (c.symbol ? [c.symbol] : []));
  const inView = (b: Box) => b.x2 > 0 && b.y2 > 0 && b.x1 < view.width && b.y1 < view.height;
  const options = function* () {
    for (const c of candidates.filter((c) => !c.symbol)) {
      const w = width(c.text);
      const box = { x1: c.at.x - w / 2, y1: c.at.y - HEIGHT / 2, x2: c.at.x + w / 2, y2: c.at.y + HEIGHT / 2 };
      if (inView(box)) yield { item: { key: c.key, text: c.text, box }, box };
    }
  };
  const placed = declutter(options(), taken);
  for (const c of candidates) {
    if (!c.symbol || !c.text) continue; // a symbol without a label only takes its room
    const w = width(c.text);
    const mid = (c.symbol.y1 + c.symbol.y2) / 2;
    const after = { x1: c.symbol.x2 + GAP, y1: mid - HEIGHT / 2, x2: c.symbol.x2 + GAP + w, y2: mid + HEIGHT / 2 };
    const before = { x1: c.symbol.x1 - GAP - w, y1: mid - HEIGHT / 2, x2: c.symbol.x1 - GAP, y2: mid + HEIGHT / 2 };
    for (const box of rtl ? [before, after] : [after, before]) {
      if (!inView(box)) continue;
      const [kept] = declutter([{ item: { key: c.key, text: c.text, box }, box }], taken);
      if (kept) {
        placed.push(kept);
        break;
      }
    }
  }
  return placed;
}
