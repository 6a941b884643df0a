import { describe, expect, it } from "vitest";
import { latinDigits, parseUtc } from "./utc";

describe("a UTC time typed as ISO 8601 on the 24-hour clock", () => {
  it("reads a space, a T and a trailing Z alike", () => {
    expect(parseUtc("2026-12-07 14:30")).toBe("2026-12-07T14:30");
    expect(parseUtc("2026-12-07T14:30Z")).toBe("2026-12-07T14:30");
    expect(parseUtc("  ")).toBe("");
  });
  it("reads Arabic-Indic and Persian digits as Latin ones", () => {
    expect(latinDigits("٢٠٢٦-١٢-٠٧ ١٤:٣٠")).toBe("2026-12-07 14:30");
    expect(parseUtc("۲۰۲۶-۱۲-۰۷ ۰۹:۰۵")).toBe("2026-12-07T09:05");
  });
  it("refuses AM/PM, impossible dates and hours past 23", () => {
    expect(parseUtc("2026-12-07 02:30 PM")).toBeNull();
    expect(parseUtc("2026-02-30 10:00")).toBeNull();
    expect(parseUtc("2026-12-07 24:00")).toBeNull();
    expect(parseUtc("2026-12-07 12:60")).toBeNull();
    expect(parseUtc("07/12/2026 10:00")).toBeNull();
  });
});
