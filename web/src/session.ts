// Who is signed in (GET /api/me) and the partner nations with their national labels (GET /api/nations).
import { computed, effect, signal } from "@preact/signals";
import { abortAll, api, ApiError, onUnauthenticated } from "./api";
import { lang, type Lang } from "./i18n";

function isLang(value: string): value is Lang {
  return value === "en" || value === "tr" || value === "ar";
}

export interface Nation {
  code: string;
  name: string;
  /** The nation's own label for each common level, keyed by level name. */
  labels: Record<string, string>;
}

export interface Appointment {
  id: number;
  role: string;
  nation: string;
  starts_at: string;
  ends_at: string | null;
  current: boolean;
}

/** The signed-in person (GET /api/me, the foundation's PersonOut). */
export interface Me {
  id: number;
  username: string;
  display_name: string;
  nation: string;
  clearance: string;
  disabled: boolean;
  language: string;
  totp_enabled: boolean;
  /** Roles of the appointments current now. */
  roles: string[];
  appointments: Appointment[];
  /** Duty state, once the duty roster reports it. */
  on_duty?: boolean | null;
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

export async function loadNations(): Promise<void> {
  nations.value = await api.get<Nation[]>("/api/nations");
}

/**
 * Load the signed-in person (and the partner nations, before anything renders with them). At a
 * fresh sign-in the person's saved language is adopted; on a reload this browser's choice stays.
 */
export async function loadMe(adoptLanguage = false): Promise<void> {
  try {
    const person = await api.get<Me>("/api/me");
    await loadNations();
    if (isLang(person.language) && (adoptLanguage || !localStorage.getItem("concord.lang"))) lang.value = person.language;
    me.value = person;
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
  await loadMe(true);
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
  // The screens and the live stream go first, so nothing they would load starts while the session
  // ends (it would come back refused); then what is in flight is cancelled, then the server told.
  me.value = null;
  abortAll();
  await api.del("/api/session");
}

// A language chosen in the header is saved as the person's preference.
effect(() => {
  const chosen = lang.value;
  const person = me.peek();
  if (!person || person.language === chosen) return;
  me.value = { ...person, language: chosen };
  api.put("/api/me/language", { language: chosen }).catch(() => undefined);
});
