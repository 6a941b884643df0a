// STIX 2.1 objects a person authors in the browser (concord/api/intel.py publishes them): a report,
// an indicator (STIX pattern), an observable (observed-data and the cyber-observable it saw), an
// attack pattern or a threat actor, each optionally tied to a place picked on the map. The server
// checks every object (concord/domain/stix.py); these builders only assemble them.

/** A random (version 4) UUID for STIX ids; works outside secure contexts too. */
export function uuid4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

export const AUTHORED_KINDS = ["report", "indicator", "observable", "attack-pattern", "threat-actor"] as const;
export type AuthoredKind = (typeof AUTHORED_KINDS)[number];

/** Cyber-observable types one can type a value for, and the property that holds it. */
export const OBSERVABLE_TYPES = ["ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "file-sha256"] as const;
export type ObservableType = (typeof OBSERVABLE_TYPES)[number];

export interface Place {
  latitude: number;
  longitude: number;
  name: string;
}

export interface Authored {
  kind: AuthoredKind;
  name: string;
  description: string;
  /** indicator: the STIX pattern, e.g. [ipv4-addr:value = '198.51.100.7'] */
  pattern?: string;
  /** observable */
  observableType?: ObservableType;
  observableValue?: string;
  /** attack-pattern: an external id such as a MITRE ATT&CK technique (T1190) */
  externalId?: string;
  place?: Place | null;
}

type Stix = Record<string, unknown>;

function base(type: string, time: string): Stix {
  return { type, spec_version: "2.1", id: `${type}--${uuid4()}`, created: time, modified: time };
}

/** The cyber-observable object for a typed value (a SHA-256 is a file known by its hash). */
export function observableObject(type: ObservableType, value: string): Stix {
  if (type === "file-sha256") {
    return { type: "file", spec_version: "2.1", id: `file--${uuid4()}`, hashes: { "SHA-256": value.trim().toLowerCase() } };
  }
  return { type, spec_version: "2.1", id: `${type}--${uuid4()}`, value: value.trim() };
}

/** The objects to publish, the authored one first. */
export function authoredObjects(d: Authored, now = new Date()): Stix[] {
  const time = now.toISOString();
  const place: Stix | null = d.place ? { ...base("location", time), name: d.place.name || d.name, latitude: d.place.latitude, longitude: d.place.longitude } : null;
  const described = d.description.trim() ? { description: d.description } : {};
  const extra: Stix[] = [];
  let main: Stix;
  switch (d.kind) {
    case "report":
      // A report refers to at least one object (STIX 2.1 §4.14): the place it is about.
      main = { ...base("report", time), name: d.name, ...described, published: time, report_types: ["threat-report"], object_refs: place ? [place["id"]] : [] };
      break;
    case "indicator":
      main = { ...base("indicator", time), name: d.name, ...described, pattern: (d.pattern ?? "").trim(), pattern_type: "stix", valid_from: time, indicator_types: ["malicious-activity"] };
      break;
    case "observable": {
      const observed = observableObject(d.observableType ?? "ipv4-addr", d.observableValue ?? "");
      extra.push(observed);
      main = { ...base("observed-data", time), first_observed: time, last_observed: time, number_observed: 1, object_refs: [observed["id"]] };
      break;
    }
    case "attack-pattern": {
      const ref = d.externalId?.trim();
      main = { ...base("attack-pattern", time), name: d.name, ...described, ...(ref ? { external_references: [{ source_name: "mitre-attack", external_id: ref }] } : {}) };
      break;
    }
    case "threat-actor":
      main = { ...base("threat-actor", time), name: d.name, ...described };
      break;
  }
  if (!place) return [main, ...extra];
  if (d.kind === "report") return [main, place, ...extra];
  // Elsewhere the place is linked by a relationship: a threat actor is located at it (STIX 2.1
  // §4.15 "located-at"); for the others the generic "related-to" is the one STIX allows.
  const link = {
    ...base("relationship", time),
    relationship_type: d.kind === "threat-actor" ? "located-at" : "related-to",
    source_ref: main["id"],
    target_ref: place["id"],
  };
  return [main, ...extra, place, link];
}

/** The objects of a STIX bundle file (or a bare list of objects), or an error naming what is wrong. */
export function bundleObjects(text: string): { objects: Stix[] } | { error: "json" | "bundle" | "empty" } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { error: "json" };
  }
  const list = Array.isArray(parsed) ? parsed : (parsed as { type?: unknown; objects?: unknown })?.type === "bundle" ? (parsed as { objects?: unknown }).objects : null;
  if (!Array.isArray(list)) return { error: "bundle" };
  const objects = list.filter((o): o is Stix => typeof o === "object" && o !== null && !Array.isArray(o));
  if (objects.length === 0) return { error: "empty" };
  return { objects };
}
