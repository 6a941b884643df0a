import { describe, expect, it } from "vitest";
import { declutter, overlaps } from "./declutter";

const box = (x: number, y: number, w = 10, h = 10) => ({ x1: x, y1: y, x2: x + w, y2: y + h });

describe("declutter", () => {
  it("keeps candidates in order and drops those that overlap one already kept", () => {
    const kept = declutter([
      { item: "a", box: box(0, 0) },
      { item: "b", box: box(5, 5) },
      { item: "c", box: box(10, 0) }, // touches a's edge: no overlap
    ]);
    expect(kept).toEqual(["a", "c"]);
  });

  it("never writes a label over a box taken first (a symbol)", () => {
    const symbols = [box(100, 100, 26, 26)];
    const kept = declutter([{ item: "over", box: box(110, 110) }, { item: "beside", box: box(130, 100) }], symbols);
    expect(kept).toEqual(["beside"]);
    expect(symbols).toHaveLength(2); // the kept label's box is taken now
  });

  it("overlap is symmetric and strict", () => {
    expect(overlaps(box(0, 0), box(9, 9))).toBe(true);
    expect(overlaps(box(9, 9), box(0, 0))).toBe(true);
    expect(overlaps(box(0, 0), box(0, 10))).toBe(false);
  });
});
