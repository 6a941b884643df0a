// MIL-STD-2525C letter SIDCs: the Cursor-on-Target type → SIDC mapping TAK tracks need
// (CoT "a-f-G-U-C-I" → SIDC "SFGPUCI---"). Pure, so layers can use it without the symbol library.

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

