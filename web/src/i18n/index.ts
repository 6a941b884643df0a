// Translation: one flat JSON catalogue per language. Every key used in the source appears as a
// literal in a call of `t` or `tk` so tests/unit/web/test_i18n_catalogues.py can prove that
// every key exists in every catalogue.
import { computed, effect, signal } from "@preact/signals";
import ar from "./ar.json";
import en from "./en.json";
import tr from "./tr.json";

export type Lang = "en" | "tr" | "ar";
type Catalogue = Record<string, string>;

const catalogues: Record<Lang, Catalogue> = { en, tr, ar };
export const LANGS: readonly Lang[] = ["en", "tr", "ar"];
/** Each language named in itself (the language menus). */
export const LANG_NAMES: Record<Lang, string> = { en: "English", tr: "Türkçe", ar: "العربية" };

/** BCP 47 locales used for dates and numbers. One digit rule per language: Arabic follows Iraq's
 * conventions (month names, separators) with Latin digits (`-u-nu-latn`), the digits its coordinates,
 * MGRS references, DTGs and typed times already use, so a date and a grid reference beside it never
 * mix two digit sets (issue #25 item 7). */
const LOCALES: Record<Lang, string> = { en: "en-GB", tr: "tr-TR", ar: "ar-IQ-u-nu-latn" };

function initialLang(): Lang {
  const saved = localStorage.getItem("concord.lang");
  if (saved === "en" || saved === "tr" || saved === "ar") return saved;
  const nav = navigator.language.slice(0, 2);
  return nav === "tr" || nav === "ar" ? nav : "en";
}

export const lang = signal<Lang>(initialLang());
export const locale = computed(() => LOCALES[lang.value]);
export const dir = computed(() => (lang.value === "ar" ? "rtl" : "ltr"));

effect(() => {
  localStorage.setItem("concord.lang", lang.value);
  document.documentElement.lang = lang.value;
  document.documentElement.dir = dir.value;
});

/** Translate `key`, replacing `{name}` placeholders with `params`. Reading it subscribes the caller. */
export function t(key: string, params?: Record<string, string | number>): string {
  const text = catalogues[lang.value][key] ?? catalogues.en[key] ?? key;
  if (!params) return text;
  return text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    if (value === undefined) return whole;
    return typeof value === "number" ? formatNumber(value) : value;
  });
}

/** Marks a literal as a translation key (for keys chosen at run time from a table). */
export function tk<K extends string>(key: K): K {
  return key;
}

export function formatNumber(value: number, options?: Intl.NumberFormatOptions): string {
  return new Intl.NumberFormat(locale.value, options).format(value);
}
