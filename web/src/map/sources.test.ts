import { describe, expect, it } from "vitest";
import { BUILT_IN, chosenSource, type MapSource } from "./sources";

const source = (id: number): MapSource => ({
  id, name: `S${id}`, kind: "mbtiles", tile_format: "png", min_zoom: 0, max_zoom: 12, bounds: null, attribution: "",
  tile_url: `/api/map-sources/${id}/tiles/{z}/{x}/{y}`, size: 1, nation: "TUR", added_at: "2026-11-29T08:00:00Z",
});

describe("base layer choice", () => {
  it("is the chosen source while it exists, else the built-in map", () => {
    const sources = [source(1), source(2)];
    expect(chosenSource(sources, "2")?.name).toBe("S2");
    expect(chosenSource(sources, "7")).toBeNull(); // removed since it was chosen
    expect(chosenSource(sources, BUILT_IN)).toBeNull();
  });
});
