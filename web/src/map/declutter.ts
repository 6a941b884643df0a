// Labels that do not collide: each candidate is kept only where its box on screen is still free of
// the boxes already taken (symbols first, then labels in priority order). Used for place and
// province names on the base map, and for operation-area and track labels on the picture.
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

export const overlaps = (a: Box, b: Box): boolean => a.x1 < b.x2 && b.x1 < a.x2 && a.y1 < b.y2 && b.y1 < a.y2;

/** The candidates whose boxes fit, in the order given; `taken` gains the boxes of those kept. */
export function declutter<T>(candidates: Iterable<{ item: T; box: Box }>, taken: Box[] = []): T[] {
  const kept: T[] = [];
  for (const { item, box } of candidates) {
    if (taken.some((b) => overlaps(b, box))) continue;
    taken.push(box);
    kept.push(item);
  }
  return kept;
}

/** A rough width in pixels of a label of `text` at 11–12 px (no layout pass: called for hundreds of names). */
export const labelWidth = (text: string): number => text.length * 7 + 8;
