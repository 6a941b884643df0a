// MIL-STD-2525 symbols drawn by milsymbol (2525C letter SIDCs; see sidc.ts for CoT types).
import L from "leaflet";
import { ms, std2525c } from "milsymbol-es";
export { cotTypeToSidc, genericSidc, type Affiliation } from "./sidc";

ms.addIcons(std2525c);

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
