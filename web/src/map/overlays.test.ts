import { describe, expect, it } from "vitest";
import { chooseAdmin1Labels, countriesInView } from "./overlays";

describe("base map overlays", () => {
  it("loads only the countries whose box meets the view", () => {
    const at = (lon: number, lat: number) => Math.floor((lon + 180) / 10) * 18 + Math.floor((lat + 90) / 10);
    const list = [
      { code: "TUR", bbox: [26, 36, 45, 42] as [number, number, number, number], cells: [at(30, 38), at(40, 38), at(40, 41)] },
      { code: "IRQ", bbox: [38.8, 29, 48.6, 37.4] as [number, number, number, number], cells: [at(42, 33), at(45, 35), at(42, 29)] },
      { code: "BRA", bbox: [-74, -34, -34, 5] as [number, number, number, number], cells: [at(-50, -10)] },
      // Metropolitan France and an island in the Indian Ocean: a box across half the world, two cells.
      { code: "FRA", bbox: [-5, -21, 56, 51] as [number, number, number, number], cells: [at(2, 46), at(55, -21)] },
    ];
    expect(countriesInView(list, [42, 36.5, 44, 37.5])).toEqual(["TUR", "IRQ"]);
    expect(countriesInView(list, [47, 30, 48, 31])).toEqual(["IRQ"]);
    expect(countriesInView(list, [0, 44, 10, 50])).toEqual(["FRA"]);
    expect(countriesInView(list, [44, 33, 46, 36])).not.toContain("FRA"); // inside France's box, in none of its cells
    expect(countriesInView(list, [-200, -80, 200, 80]).sort()).toEqual(["BRA", "FRA", "IRQ", "TUR"]);
  });

  it("writes province names only where no place name or earlier province name already is", () => {
    const project = (lat: number, lon: number) => ({ x: (lon - 40) * 100, y: (40 - lat) * 100 });
    const provinces = [
      { borders: [], labels: [["Dihok", 43, 37] as [string, number, number], ["Near Dihok", 43.05, 37] as [string, number, number]] },
      { borders: [], labels: [["Erbil", 44, 36.2] as [string, number, number], ["Under a city", 41, 38] as [string, number, number]] },
    ];
    const cityBox = { x1: 60, y1: 160, x2: 150, y2: 240 }; // a city label around (41°E, 38°N)
    const chosen = chooseAdmin1Labels(provinces, { width: 800, height: 600 }, project, [cityBox]);
    expect(chosen.map((c) => c.name)).toEqual(["Dihok", "Erbil"]);
  });
});
