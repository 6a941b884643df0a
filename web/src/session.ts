// Who is signed in (GET /api/me) and the partner nations with their national labels (GET /api/nations).
import { computed, signal } from "@preact/signals";
import { api, ApiError, onUnauthenticated } from "./api";

export interface Nation {
  code: string;
  name: string;
  /** The nation's own label for each common level, keyed by level name. */
  labels: Record<string, string>;
}

export interface Appointment {
  id?: number;
  role: string;
  title?: string | null;
  nation?: string;
  effective_from?: string | null;
  effective_until?: string | null;
}

export interface Me {
  id: number;
  username: string;
  display_name: string;
  nation: string;
  clearance: string;
  roles: string[];
  appointments: Appointment[];
  on_duty?: boolean | null;
  may_read?: boolean;
}

/** undefined while loading, null when signed out. */
export const me = signal<Me | null | undefined>(undefined);
export const nations = signal<Nation[]>([]);
export const myNation = computed(() => me.value?.nation ?? "");

export function hasRole(role: string): boolean {
  return me.value?.roles.includes(role) ?? false;
}

onUnauthenticated(() => {
  me.value = null;
});

/** Normalise the shapes the API may use for labels (object keyed by level, or a list). */
export function normaliseNation(raw: Record<string, unknown>): Nation {
  const labels: Record<string, string> = {};
  const src = raw["labels"] ?? raw["level_labels"] ?? raw["classification_labels"];
  if (Array.isArray(src)) {
    for (const item of src as Record<string, unknown>[]) {
      const level = item["level"];
      const label = item["label"];
      if (typeof level === "string" && typeof label === "string") labels[level] = label;
    }
  } else if (src && typeof src === "object") {
    for (const [k, v] of Object.entries(src as Record<string, unknown>)) if (typeof v === "string") labels[k] = v;
  }
  return { code: String(raw["code"]), name: String(raw["name"] ?? raw["code"]), labels };
}

export async function loadNations(): Promise<void> {
  const raw = await api.get<unknown>("/api/nations");
  const list = Array.isArray(raw) ? raw : ((raw as { items?: unknown[] })?.items ?? []);
  nations.value = (list as Record<string, unknown>[]).map(normaliseNation);
}

export function normaliseMe(raw: Record<string, unknown>): Me {
  const person = (raw["person"] as Record<string, unknown> | undefined) ?? raw;
  const nationRaw = raw["nation"] ?? person["nation"];
  const nation = typeof nationRaw === "object" && nationRaw ? String((nationRaw as { code: string }).code) : String(nationRaw);
  const apps = (raw["appointments"] ?? person["appointments"] ?? []) as Appointment[];
  const rolesRaw = (raw["roles"] ?? apps.map((a) => a.role)) as unknown[];
  return {
    id: Number(person["id"]),
    username: String(person["username"] ?? ""),
    display_name: String(person["display_name"] ?? person["name"] ?? person["username"] ?? ""),
    nation,
    clearance: String(raw["clearance"] ?? person["clearance"] ?? "UNCLASSIFIED"),
    roles: rolesRaw.map(String),
    appointments: apps,
    on_duty: (raw["on_duty"] ?? person["on_duty"] ?? null) as boolean | null,
    may_read: (raw["may_read"] ?? true) as boolean,
  };
}

export async function loadMe(): Promise<void> {
  try {
    const raw = await api.get<Record<string, unknown>>("/api/me");
    me.value = normaliseMe(raw);
    await loadNations();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) me.value = null;
    else throw err;
  }
}

export interface SignInResult {
  needsTotp: boolean;
}

/** POST /api/session; a second call with `totp` when the server says a code is required. */
export async function signIn(username: string, password: string, totp?: string): Promise<SignInResult> {
  try {
    await api.post("/api/session", totp ? { username, password, totp } : { username, password });
  } catch (err) {
    if (err instanceof ApiError && totpRequired(err)) return { needsTotp: true };
    throw err;
  }
  await loadMe();
  return { needsTotp: false };
}

/** The server asks for the second factor by naming the `totp` field or saying so in the details. */
export function totpRequired(err: ApiError): boolean {
  return (
    err.code === "totp_required" ||
    err.details["totp_required"] === true ||
    (err.field === "totp" && err.status !== 429)
  );
}

export async function signOut(): Promise<void> {
  try {
    await api.del("/api/session");
  } finally {
    me.value = null;
  }
}
