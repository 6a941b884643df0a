// The browser's audit verifier agrees byte for byte with the server's Python code: the vectors in
// test-vectors/audit.json are produced by tests/unit/web/audit_vectors.py (and checked there).
import { describe, expect, it } from "vitest";
import vectors from "./test-vectors/audit.json";
import {
  bytesToHex,
  canonicalEntry,
  hexToBytes,
  leafHash,
  parseCheckpoint,
  rootFromInclusionProof,
  verifyInclusion,
} from "./merkle";

const decoder = new TextDecoder();

function proofOf(index: number, size: number): string[] {
  const found = vectors.proofs.find((p) => p.index === index && p.size === size);
  if (!found) throw new Error(`no vector for ${index}/${size}`);
  return found.proof;
}

describe("canonical entries", () => {
  it.each(vectors.entries.map((v, i) => [i, v] as const))("entry %i encodes as the server does", async (_i, v) => {
    const bytes = canonicalEntry(v.entry);
    expect(decoder.decode(bytes)).toBe(v.leaf);
    expect(bytesToHex(await leafHash(bytes))).toBe(v.leaf_hash);
  });
});

describe("inclusion proofs (RFC 9162 §2.1.3.2)", () => {
  it("every leaf of every tree size leads to that size's root", async () => {
    for (const p of vectors.proofs) {
      const leaf = hexToBytes(vectors.entries[p.index]!.leaf_hash);
      const root = await rootFromInclusionProof(p.index, p.size, leaf, p.proof.map(hexToBytes));
      expect(root && bytesToHex(root), `${p.index}/${p.size}`).toBe(vectors.roots[p.size - 1]);
    }
  });

  it("a wrong leaf, a flipped proof byte or a wrong index does not reach the root", async () => {
    const size = vectors.roots.length;
    const proof = proofOf(5, size).map(hexToBytes);
    const root = vectors.roots[size - 1];
    const leaf = hexToBytes(vectors.entries[5]!.leaf_hash);
    const other = hexToBytes(vectors.entries[6]!.leaf_hash);
    expect(bytesToHex((await rootFromInclusionProof(5, size, other, proof))!)).not.toBe(root);
    const flipped = proof.map((h) => h.slice());
    flipped[1]![0] ^= 1;
    expect(bytesToHex((await rootFromInclusionProof(5, size, leaf, flipped))!)).not.toBe(root);
    const atFour = await rootFromInclusionProof(4, size, leaf, proof);
    expect(atFour && bytesToHex(atFour)).not.toBe(root);
    expect(await rootFromInclusionProof(size, size, leaf, proof)).toBeNull();
    expect(await rootFromInclusionProof(5, size, leaf, [...proof, proof[0]!])).toBeNull();
  });
});

describe("checkpoints and the whole check", () => {
  const size = vectors.roots.length;

  it("reads the size and root of a signed checkpoint note", () => {
    const checkpoint = parseCheckpoint(vectors.checkpoint);
    expect(checkpoint?.origin).toBe("concord.test/audit");
    expect(checkpoint?.size).toBe(size);
    expect(bytesToHex(checkpoint!.root)).toBe(vectors.roots[size - 1]);
    expect(parseCheckpoint("origin\nnot a number\nAAAA\n")).toBeNull();
  });

  it("verifies an entry against the checkpoint, and catches a changed entry", async () => {
    const v = vectors.entries[9]!;
    const proof = { index: 9, size, leaf_hash: v.leaf_hash, proof: proofOf(9, size), entry: v.entry, checkpoint: vectors.checkpoint };
    expect(await verifyInclusion(proof)).toEqual({ leafMatches: true, rootMatches: true, size });
    const changed = await verifyInclusion({ ...proof, entry: { ...v.entry, action: "intel.deleted" } });
    expect(changed.leafMatches).toBe(false);
    const unreadable = await verifyInclusion({ ...proof, entry: null });
    expect(unreadable).toEqual({ leafMatches: null, rootMatches: true, size });
    const older = await verifyInclusion({ ...proof, size: size - 1, proof: proofOf(9, size - 1) });
    expect(older.rootMatches).toBe(false); // a proof for another tree size than the checkpoint's
  });
});
