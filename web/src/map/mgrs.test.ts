import { describe, expect, it } from "vitest";
import { gridZones, toMgrs } from "./mgrs";

describe("MGRS", () => {
  it("writes a reference in its spoken groups", () => {
    // Zakho (fictional use; a public place): zone 38S, square LF.
    expect(toMgrs(37.1436, 42.6819)).toMatch(/^38S [A-Z]{2} \d{5} \d{5}$/);
    expect(toMgrs(36.7533, 43.1317)).toBe("38S LF 33222 69133");
    expect(toMgrs(36.7533, 43.1317, 2)).toBe("38S LF 33 69");
  });

  it("leaves the poles to UPS and wraps longitudes", () => {
    expect(toMgrs(85, 0)).toBeNull();
    expect(toMgrs(36.7533, 43.1317 + 360)).toBe("38S LF 33222 69133");
  });

  it("finds the grid zones of a box", () => {
    const zones = gridZones(35, 40, 38, 46).map((z) => z.zone);
    expect(zones).toEqual(["37S", "38S"]);
    expect(gridZones(30, 40, 33, 41).map((z) => z.zone)).toEqual(["37R", "37S"]);
  });
});
