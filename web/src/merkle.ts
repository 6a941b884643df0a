// Checking an audit entry in the browser, independently of the server's say-so (RFC 9162 §2.1):
// the entry's canonical bytes hash to its leaf, and the inclusion proof leads from that leaf to the
// root hash written in the centre's signed checkpoint.

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const total = parts.reduce((n, p) => n + p.length, 0);
  const joined = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    joined.set(p, offset);
    offset += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest("SHA-256", joined));
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function bytesToHex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** RFC 8785 canonical JSON for entries made of strings, safe integers and null (sorted keys, no spaces). */
export function canonicalEntry(entry: Record<string, unknown>): Uint8Array {
  const keys = Object.keys(entry).sort();
  const body = keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(entry[k])}`).join(",");
  return new TextEncoder().encode(`{${body}}`);
}

export async function leafHash(leaf: Uint8Array): Promise<Uint8Array> {
  return sha256(new Uint8Array([0]), leaf);
}

/** RFC 9162 §2.1.3.2: the root reached from `leaf` at `index` in a tree of `size` leaves, or null. */
export async function rootFromInclusionProof(
  index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[],
): Promise<Uint8Array | null> {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  const node = new Uint8Array([1]);
  for (const p of proof) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(node, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(node, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

/** The size and root hash a C2SP checkpoint note states (origin, size, base64 root, blank, signatures). */
export function parseCheckpoint(note: string): { origin: string; size: number; root: Uint8Array } | null {
  const lines = note.split("\n");
  if (lines.length < 3) return null;
  const size = Number(lines[1]);
  try {
    const raw = atob(lines[2] ?? "");
    const root = Uint8Array.from(raw, (c) => c.charCodeAt(0));
    return Number.isInteger(size) && root.length === 32 ? { origin: lines[0] ?? "", size, root } : null;
  } catch {
    return null;
  }
}

export interface InclusionCheck {
  leafMatches: boolean | null;
  rootMatches: boolean;
  size: number;
}

/** Verify an entry (when readable) and its inclusion proof against the checkpoint's root. */
export async function verifyInclusion(proof: {
  index: number;
  size: number;
  leaf_hash: string;
  proof: string[];
  entry: Record<string, unknown> | null;
  checkpoint: string;
}): Promise<InclusionCheck> {
  const leaf = hexToBytes(proof.leaf_hash);
  const leafMatches = proof.entry ? bytesToHex(await leafHash(canonicalEntry(proof.entry))) === proof.leaf_hash : null;
  const checkpoint = parseCheckpoint(proof.checkpoint);
  const root = await rootFromInclusionProof(proof.index, proof.size, leaf, proof.proof.map(hexToBytes));
  const rootMatches =
    !!checkpoint && !!root && checkpoint.size === proof.size && bytesToHex(root) === bytesToHex(checkpoint.root);
  return { leafMatches, rootMatches, size: proof.size };
}
