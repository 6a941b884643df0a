// MGRS (the military grid reference system NATO staffs read positions in), via the mgrs package,
// written the way it is spoken and plotted: "38S LF 33222 69133".
import { forward } from "mgrs";

/** The MGRS reference of a point at 1 m (5 digits), or null in the polar regions MGRS leaves to UPS. */
export function toMgrs(lat: number, lon: number, digits = 5): string | null {
  if (lat < -80 || lat > 84) return null;
  const lng = ((((lon + 180) % 360) + 360) % 360) - 180;
  const ref = forward([lng, lat], digits);
  const m = /^(\d{1,2}[C-X])([A-Z]{2})(\d*)$/.exec(ref);
  if (!m) return ref;
  const [, zone, square, numbers = ""] = m;
  const half = numbers.length / 2;
  return [zone, square, numbers.slice(0, half), numbers.slice(half)].filter(Boolean).join(" ");
}

/** The grid zone designations (6° of longitude by 8° of latitude; 12° for band X) that a box touches. */
export function gridZones(south: number, west: number, north: number, east: number): { zone: string; lat: number; lon: number }[] {
  const zones: { zone: string; lat: number; lon: number }[] = [];
  const bands = "CDEFGHJKLMNPQRSTUVWX";
  for (let b = 0; b < bands.length; b++) {
    const bottom = -80 + b * 8;
    const top = bands[b] === "X" ? 84 : bottom + 8;
    if (top < south || bottom > north) continue;
    for (let z = 1; z <= 60; z++) {
      const left = -180 + (z - 1) * 6;
      if (left + 6 < west || left > east) continue;
      zones.push({ zone: `${z}${bands[b]}`, lat: (bottom + top) / 2, lon: left + 3 });
    }
  }
  return zones;
}
