import { describe, expect, it, vi } from "vitest";

// i18n keeps the chosen language in the browser's storage and on <html> and reads the browser's own:
// given here (Vitest runs in Node), before the modules are imported.
vi.hoisted(() => {
  const store = new Map<string, string>();
  vi.stubGlobal("localStorage", { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => store.set(k, v) });
  vi.stubGlobal("document", { documentElement: {} });
  vi.stubGlobal("navigator", { language: "en-GB" });
});

const { lang } = await import("./i18n");
const { span, zulu, zuluClock } = await import("./format");
const { formatNumber } = await import("./i18n");

describe("durations in each language's own units", () => {
  it("writes Turkish hours and minutes as sa./dk., not s/d (seconds/days)", () => {
    lang.value = "tr";
    expect(span((17 * 60 + 37) * 60_000)).toBe("17 sa. 37 dk.");
    lang.value = "en";
    expect(span((17 * 60 + 37) * 60_000)).toBe("17h 37m");
  });
});

describe("times are 24-hour Zulu in every language", () => {
  it("never writes AM/PM", () => {
    for (const l of ["en", "tr", "ar"] as const) {
      lang.value = l;
      const text = zulu("2026-12-07T17:35:00Z");
      expect(text.endsWith("Z")).toBe(true);
      expect(text).not.toMatch(/AM|PM|ص|م\b|ÖÖ|ÖS/);
    }
  });
});

describe("one digit rule per language", () => {
  it("writes Arabic dates, times, counts and durations in the Latin digits its coordinates use", () => {
    lang.value = "ar";
    const texts = [zulu("2026-12-07T17:35:00Z"), zuluClock(new Date("2026-12-07T09:05:07Z")), formatNumber(1234),
      span((3 * 60 + 12) * 60_000)];
    for (const text of texts) expect(text).not.toMatch(/[\u0660-\u0669\u06f0-\u06f9]/);
    expect(zuluClock(new Date("2026-12-07T09:05:07Z"))).toBe("09:05:07Z");
    expect(zulu("2026-12-07T17:35:00Z")).toMatch(/07.*2026.*17:35Z$/);
    lang.value = "en";
  });
});
