// Which capabilities this server offers, read once from its OpenAPI document, so the interface never
// calls an endpoint that is not there (features land one by one; an absent one shows as such).
import { signal } from "@preact/signals";
import { api } from "./api";

/** null until loaded. */
export const apiPaths = signal<ReadonlySet<string> | null>(null);

export async function loadCapabilities(): Promise<void> {
  try {
    const doc = await api.get<{ paths?: Record<string, unknown> }>("/api/openapi.json");
    apiPaths.value = new Set(Object.keys(doc.paths ?? {}));
  } catch {
    apiPaths.value = new Set();
  }
}

/** Whether the server has this path (as written in the OpenAPI document, e.g. "/api/channels"). */
export function offers(path: string): boolean {
  return apiPaths.value?.has(path) ?? false;
}

/** Until the capabilities are known, assume nothing and wait. */
export function capabilitiesKnown(): boolean {
  return apiPaths.value !== null;
}
