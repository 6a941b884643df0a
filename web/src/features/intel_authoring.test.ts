import { describe, expect, it } from "vitest";
import { authoredObjects, bundleObjects } from "./intel_authoring";

const now = new Date("2026-12-07T10:00:00Z");
const place = { latitude: 36.61, longitude: 43.12, name: "North ford" };

describe("authored STIX objects", () => {
  it("a report refers to the place picked on the map", () => {
    const [report, location] = authoredObjects({ kind: "report", name: "R", description: "", place }, now);
    expect(report!["type"]).toBe("report");
    expect(report!["object_refs"]).toEqual([location!["id"]]);
    expect(location).toMatchObject({ type: "location", latitude: 36.61, longitude: 43.12, name: "North ford" });
    expect(report).not.toHaveProperty("description");
  });

  it("an indicator carries its pattern, valid from now", () => {
    const [ind, ...rest] = authoredObjects({ kind: "indicator", name: "I", description: "d", pattern: " [ipv4-addr:value = '198.51.100.7'] " }, now);
    expect(ind).toMatchObject({ type: "indicator", pattern: "[ipv4-addr:value = '198.51.100.7']", pattern_type: "stix", valid_from: now.toISOString() });
    expect(rest).toEqual([]);
  });

  it("an observable is observed-data referring to the cyber-observable", () => {
    const [od, sco] = authoredObjects({ kind: "observable", name: "", description: "", observableType: "file-sha256", observableValue: "AB".repeat(32) }, now);
    expect(od).toMatchObject({ type: "observed-data", number_observed: 1, object_refs: [sco!["id"]] });
    expect(sco).toMatchObject({ type: "file", hashes: { "SHA-256": "ab".repeat(32) } });
  });

  it("a threat actor is located at its place; an attack pattern is related to it", () => {
    const [actor, location, link] = authoredObjects({ kind: "threat-actor", name: "T", description: "", place }, now);
    expect(link).toMatchObject({ type: "relationship", relationship_type: "located-at", source_ref: actor!["id"], target_ref: location!["id"] });
    const [ap, , rel] = authoredObjects({ kind: "attack-pattern", name: "A", description: "", externalId: "T1190", place }, now);
    expect(ap!["external_references"]).toEqual([{ source_name: "mitre-attack", external_id: "T1190" }]);
    expect(rel!["relationship_type"]).toBe("related-to");
  });

  it("ids are fresh and typed", () => {
    const a = authoredObjects({ kind: "threat-actor", name: "T", description: "" }, now)[0]!;
    const b = authoredObjects({ kind: "threat-actor", name: "T", description: "" }, now)[0]!;
    expect(a["id"]).toMatch(/^threat-actor--[0-9a-f-]{36}$/);
    expect(a["id"]).not.toBe(b["id"]);
  });
});

describe("STIX bundle files", () => {
  it("reads a bundle or a bare list", () => {
    expect(bundleObjects('{"type":"bundle","id":"bundle--1","objects":[{"type":"x"}]}')).toEqual({ objects: [{ type: "x" }] });
    expect(bundleObjects('[{"type":"x"}]')).toEqual({ objects: [{ type: "x" }] });
  });
  it("names what is wrong", () => {
    expect(bundleObjects("{")).toEqual({ error: "json" });
    expect(bundleObjects('{"type":"report"}')).toEqual({ error: "bundle" });
    expect(bundleObjects('{"type":"bundle","objects":[]}')).toEqual({ error: "empty" });
  });
});
