// Client-side routes: one per screen (shared UI.md "Screens"); the server answers every non-API path
// with index.html (concord/api/web.py), so a reload or a shared link lands on the same screen.
import { computed, signal } from "@preact/signals";
import { tk } from "./i18n";

export const path = signal<string>(location.pathname);
export const search = signal<string>(location.search);

export function navigate(to: string, replace = false): void {
  const url = new URL(to, location.origin);
  if (url.pathname === path.value && url.search === search.value) return;
  if (replace) history.replaceState(null, "", url.pathname + url.search);
  else history.pushState(null, "", url.pathname + url.search);
  path.value = url.pathname;
  search.value = url.search;
}

window.addEventListener("popstate", () => {
  path.value = location.pathname;
  search.value = location.search;
});

export interface Screen {
  id: string;
  path: string;
  label: string;
  /** Keyboard shortcut after "g" (go to). */
  key: string;
}

/** The navigation, in the order of shared UI.md; labels are catalogue keys. */
export const SCREENS: readonly Screen[] = [
  { id: "map", path: "/map", label: tk("nav.map"), key: "m" },
  { id: "intel", path: "/intel", label: tk("nav.intel"), key: "i" },
  { id: "operations", path: "/operations", label: tk("nav.operations"), key: "o" },
  { id: "incidents", path: "/incidents", label: tk("nav.incidents"), key: "r" },
  { id: "releases", path: "/releases", label: tk("nav.releases"), key: "p" },
  { id: "chat", path: "/chat", label: tk("nav.chat"), key: "c" },
  { id: "audit", path: "/audit", label: tk("nav.audit"), key: "a" },
  { id: "admin", path: "/admin", label: tk("nav.admin"), key: "d" },
];

/** The screen and the rest of the path ("/operations/12" → operations, ["12"]). */
export const route = computed(() => {
  const parts = path.value.split("/").filter(Boolean);
  const head = parts[0] ?? "";
  if (head === "signin") return { id: "signin", params: parts.slice(1) };
  // One's own account: reached from one's name in the header, not a tab.
  if (head === "account") return { id: "account", params: parts.slice(1) };
  const screen = SCREENS.find((s) => s.path === `/${head}`);
  return { id: screen?.id ?? (head === "" ? "map" : "notfound"), params: parts.slice(1) };
});

export function queryParam(name: string): string | null {
  return new URLSearchParams(search.value).get(name);
}
