// MIL-STD-2525 symbols drawn by milsymbol, and the Cursor-on-Target type → 2525C SIDC mapping that
// TAK clients' tracks need (CoT "a-f-G-U-C-I" → SIDC "SFGPUCI---").
import L from "leaflet";
import { ms, std2525c } from "milsymbol-es";

ms.addIcons(std2525c);

export type Affiliation = "friend" | "hostile" | "neutral" | "unknown";

const AFFILIATION_CODE: Record<Affiliation, string> = { friend: "F", hostile: "H", neutral: "N", unknown: "U" };
const COT_AFFILIATION: Record<string, string> = {
  f: "F", a: "A", h: "H", s: "S", n: "N", u: "U", p: "P", j: "J", k: "K", o: "U", x: "U",
};
const COT_DIMENSION: Record<string, string> = { P: "P", A: "A", G: "G", S: "S", U: "U", F: "F", X: "X" };

/** A 2525C letter SIDC (15 characters) for a CoT atom type, or null when it is not an atom ("a-…"). */
export function cotTypeToSidc(cotType: string): string | null {
  const parts = cotType.split("-");
  if (parts[0] !== "a" || parts.length < 3) return null;
  const affiliation = COT_AFFILIATION[parts[1] ?? ""] ?? "U";
  const dimension = COT_DIMENSION[parts[2] ?? ""] ?? "G";
  const functionId = parts.slice(3).join("").toUpperCase().slice(0, 6).padEnd(6, "-");
  return `S${affiliation}${dimension}P${functionId}-----`.slice(0, 15);
}

/** A generic ground unit of the given affiliation (for legends and tracks without a type). */
export function genericSidc(affiliation: Affiliation): string {
  return `S${AFFILIATION_CODE[affiliation]}GPU---------`;
}

const cache = new Map<string, { svg: string; anchor: { x: number; y: number }; size: { width: number; height: number } }>();

function draw(sidc: string, size: number, label?: string) {
  const key = `${sidc}|${size}|${label ?? ""}`;
  let hit = cache.get(key);
  if (!hit) {
    const symbol = new ms.Symbol(sidc, { size, uniqueDesignation: label, infoColor: "#e8eef5", infoOutlineColor: "#000", infoOutlineWidth: 3 });
    hit = { svg: symbol.asSVG(), anchor: symbol.getAnchor(), size: symbol.getSize() };
    cache.set(key, hit);
  }
  return hit;
}

export function symbolSvg(sidc: string, size = 22): string {
  return draw(sidc, size).svg;
}

/** A Leaflet icon whose anchor is the symbol's own anchor point (the centre of its frame). */
export function symbolIcon(sidc: string, size = 26, label?: string): L.DivIcon {
  const s = draw(sidc, size, label);
  return L.divIcon({
    html: s.svg,
    className: "mil-symbol",
    iconSize: [s.size.width, s.size.height],
    iconAnchor: [s.anchor.x, s.anchor.y],
  });
}
