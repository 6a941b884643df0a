// Server codes in the reader's language. The server sends codes (roles, timeline kinds, precedence,
// STIX types, audit actions and item types, incident categories); the screen translates them here.
// tests/unit/web/test_server_codes.py fails when a code the server can send has no key in a catalogue.
import { signal } from "@preact/signals";
import { api } from "./api";
import { lang, t } from "./i18n";

function known(key: string): string | null {
  const text = t(key);
  return text === key ? null : text;
}

export const roleName = (role: string): string => known(`role.${role}`) ?? role;
export const timelineName = (kind: string): string => known(`timeline.${kind}`) ?? kind;
export const precedenceName = (precedence: string): string => known(`precedence.${precedence}`) ?? precedence;
export const stixTypeName = (type: string): string => known(`stix.${type}`) ?? type;
export const siteKindName = (kind: string): string => known(`site.kind.${kind}`) ?? kind;
export const itemTypeName = (type: string): string => known(`item.${type}`) ?? type;

/** An audit entry's action: "read" and event kinds ("operation.approved_by_nation": the item type,
 * then the raw verb) in the reader's words where the catalogue has them. */
const EVENT_ITEM: Record<string, string> = { intel: "intel_object", duty: "duty_shift" };

export function auditActionName(action: string): string {
  if (action === "read") return t("audit.action.read");
  const [type, ...rest] = action.split(".");
  const item = type ? known(`item.${EVENT_ITEM[type] ?? type}`) : null;
  return item && rest.length ? `${item} · ${rest.join(".").replaceAll("_", " ")}` : action;
}

/** Incident categories carry their names in every language (GET /api/incident-categories). */
const categoryNames = signal<ReadonlyMap<string, Record<string, string>>>(new Map());
let asked = false;

export function categoryName(code: string, fallback?: string | null): string {
  if (!asked) {
    asked = true;
    void api
      .get<{ code: string; names: Record<string, string> }[]>("/api/incident-categories")
      .then((list) => (categoryNames.value = new Map(list.map((c) => [c.code, c.names]))))
      .catch(() => (asked = false));
  }
  const names = categoryNames.value.get(code);
  return names?.[lang.value] ?? names?.["en"] ?? fallback ?? code;
}
