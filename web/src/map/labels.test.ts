import { describe, expect, it } from "vitest";
import { overlaps } from "./declutter";
import { placeLabels } from "./labels";

const view = { width: 1000, height: 800 };
const symbol = (x: number, y: number) => ({ x1: x - 13, y1: y - 13, x2: x + 13, y2: y + 13 });

describe("picture labels", () => {
  it("never puts a track label on another track's symbol: it moves to the other side, or is left out", () => {
    const labels = placeLabels(
      [
        { key: "a", text: "ALPHA", at: { x: 100, y: 100 }, symbol: symbol(100, 100) },
        { key: "b", text: "BRAVO", at: { x: 150, y: 100 }, symbol: symbol(150, 100) }, // right of ALPHA
        { key: "c", text: "CHARLIE", at: { x: 400, y: 400 }, symbol: symbol(400, 400) },
      ],
      view,
    );
    const symbols = [symbol(100, 100), symbol(150, 100), symbol(400, 400)];
    for (const l of labels) for (const s of symbols) expect(overlaps(l.box, s)).toBe(false);
    for (const a of labels) for (const b of labels) if (a !== b) expect(overlaps(a.box, b.box)).toBe(false);
    const byKey = Object.fromEntries(labels.map((l) => [l.key, l.box]));
    expect(byKey["a"]!.x2).toBeLessThan(100); // ALPHA's right side is BRAVO's symbol: written on its left
    expect(byKey["b"]!.x1).toBeGreaterThan(150);
    expect(byKey["c"]!.x1).toBeGreaterThan(400);
  });

  it("writes an area's name at its centre unless a symbol is there, and starts point labels on the left in Arabic", () => {
    const labels = placeLabels(
      [
        { key: "op1", text: "Operation NORTH", at: { x: 500, y: 300 } },
        { key: "op2", text: "Operation HIDDEN", at: { x: 200, y: 200 } },
        { key: "t", text: "T1", at: { x: 200, y: 200 }, symbol: symbol(200, 200) },
      ],
      view,
      true,
    );
    expect(labels.map((l) => l.key).sort()).toEqual(["op1", "t"]);
    expect(labels.find((l) => l.key === "t")!.box.x2).toBeLessThan(200);
  });
});
