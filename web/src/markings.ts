// Markings as the reader sees them: level names in the reader's own national labels, the colour of
// the level, and the classification banner computed from every marking currently on screen.
import { computed, signal } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { myNation, nations } from "./session";

export const LEVELS = ["UNCLASSIFIED", "RESTRICTED", "CONFIDENTIAL", "SECRET"] as const;
export type LevelName = (typeof LEVELS)[number];

export interface Marking {
  level: LevelName;
  originator: string;
  releasable_to: string[];
  tlp: string;
  caveats: string[];
}

const ORIGINATOR_ONLY_TLP = new Set(["AMBER+STRICT", "RED"]);

export function levelRank(level: string): number {
  const i = LEVELS.indexOf(level as LevelName);
  return i < 0 ? 0 : i;
}

/** The nations whose cleared people may see an item (mirror of concord.domain.markings.audience). */
export function audience(m: Marking): string[] {
  if (ORIGINATOR_ONLY_TLP.has(m.tlp)) return [m.originator];
  return [...new Set([...m.releasable_to, m.originator])].sort();
}

/** The reader's national label for a level (falls back to the common name). */
export function levelLabel(level: string, nationCode?: string): string {
  const code = nationCode ?? myNation.value;
  const nation = nations.value.find((n) => n.code === code);
  return nation?.labels?.[level] ?? level;
}

/** CSS class for the common colour scheme: green / blue / red. */
export function levelClass(level: string): string {
  switch (level) {
    case "SECRET":
      return "lvl-secret";
    case "CONFIDENTIAL":
    case "RESTRICTED":
      return "lvl-restricted";
    default:
      return "lvl-unclassified";
  }
}

const TLP_ORDER = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];

/** "REL TO IRQ, TUR" or "TUR ONLY" (the same wording as concord.domain.nations.Nation.banner). */
export function releaseText(nationsAllowed: readonly string[]): string {
  return nationsAllowed.length === 1 ? `${nationsAllowed[0]} ONLY` : `REL TO ${nationsAllowed.join(", ")}`;
}

/** The segments of a marking: level in the reader's label, caveats, release, TLP. */
export function markingSegments(m: Marking): string[] {
  return [levelLabel(m.level), ...m.caveats, releaseText(audience(m)), `TLP:${m.tlp}`];
}

/** "SECRET // ORCON // REL TO IRQ, TUR // TLP:AMBER" in the reader's labels. */
export function markingText(m: Marking): string {
  return markingSegments(m).join(" // ");
}

// --- what is on screen -------------------------------------------------------------------------

const onScreen = signal<ReadonlyMap<number, Marking>>(new Map());
let nextToken = 1;

/** Register markings shown by a component for as long as it is mounted. */
export function useMarkingsOnScreen(markings: readonly (Marking | null | undefined)[]): void {
  const key = JSON.stringify(markings);
  useEffect(() => {
    const tokens: number[] = [];
    const next = new Map(onScreen.peek());
    for (const m of markings) {
      if (!m) continue;
      const token = nextToken++;
      tokens.push(token);
      next.set(token, m);
    }
    onScreen.value = next;
    return () => {
      const after = new Map(onScreen.peek());
      tokens.forEach((tok) => after.delete(tok));
      onScreen.value = after;
    };
    // `key` captures the markings by value; re-registering on every render would loop.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key]);
}

export interface Banner {
  level: LevelName;
  segments: string[];
  cls: string;
}

/**
 * The banner for everything on screen: the highest level, the caveats of any item, only the nations
 * every item is releasable to (what may be shown to all of them together) and the strictest TLP.
 */
export function bannerFor(markings: Iterable<Marking>): Banner {
  let level: LevelName = "UNCLASSIFIED";
  let tlp = -1;
  const caveats = new Set<string>();
  let common: string[] | null = null;
  for (const m of markings) {
    if (levelRank(m.level) > levelRank(level)) level = m.level;
    tlp = Math.max(tlp, TLP_ORDER.indexOf(m.tlp));
    m.caveats.forEach((c) => caveats.add(c));
    const aud = audience(m);
    common = common === null ? aud : common.filter((n: string) => aud.includes(n));
  }
  const segments = [levelLabel(level), ...[...caveats].sort()];
  if (common !== null && common.length) segments.push(releaseText([...common].sort()));
  if (tlp >= 0) segments.push(`TLP:${TLP_ORDER[tlp]}`);
  return { level, segments, cls: levelClass(level) };
}

export const banner = computed(() => bannerFor(onScreen.value.values()));
