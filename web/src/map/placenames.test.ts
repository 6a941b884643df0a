import { describe, expect, it } from "vitest";
import { choosePlaces, minPopulation, type Place } from "./placenames";

// A flat projection for the test: 100 px per degree, north up.
const project = (lat: number, lon: number) => ({ x: (lon - 40) * 100, y: (40 - lat) * 100 });
const view = { width: 800, height: 600 };

describe("place names", () => {
  it("labels the most populous first and drops any label that would overlap", () => {
    const places: Place[] = [
      ["Mosul", 43.13, 36.34, 1_739_800],
      ["Near Mosul", 43.15, 36.35, 900_000], // 2 px away: its label would cover Mosul's
      ["Zaxo", 42.69, 37.15, 95_052],
      ["Cizre", 42.19, 37.33, 80_992],
    ];
    const names = choosePlaces(places, 8, view, project).map((c) => c.place[0]);
    expect(names).toEqual(["Mosul", "Zaxo", "Cizre"]);
  });

  it("shows fewer, larger places when zoomed out", () => {
    const places: Place[] = [["Mosul", 43.13, 36.34, 1_739_800], ["Zaxo", 42.69, 37.15, 95_052]];
    expect(choosePlaces(places, 4, view, project).map((c) => c.place[0])).toEqual(["Mosul"]);
    expect(minPopulation(4)).toBeGreaterThan(minPopulation(8));
  });

  it("leaves out places outside the view", () => {
    expect(choosePlaces([["Far", 60, 10, 5_000_000]], 8, view, project)).toEqual([]);
  });
});
