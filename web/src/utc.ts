// UTC times as typed: ISO 8601 on the 24-hour clock, one digit rule (Latin) whatever the language.

/** Latin digits for what is typed: Arabic-Indic and Persian digits become 0–9 (one digit rule for times). */
export function latinDigits(text: string): string {
  return text.replace(/[\u0660-\u0669\u06f0-\u06f9]/g, (d) => String((d.charCodeAt(0) & 0xf) % 10));
}

const SHAPE = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})Z?$/;

/** "2026-12-07 14:30" (or with T, or Z, or Arabic-Indic digits) → "2026-12-07T14:30"; null when it is no
 * real UTC time of day on the 24-hour clock; "" when empty. */
export function parseUtc(text: string): string | null {
  const s = latinDigits(text.trim());
  if (!s) return "";
  const m = SHAPE.exec(s);
  if (!m) return null;
  const [, y, mo, d, h, mi] = m.map(Number) as [number, number, number, number, number, number];
  const at = new Date(Date.UTC(y, mo - 1, d, h, mi));
  if (at.getUTCMonth() !== mo - 1 || at.getUTCDate() !== d || h > 23 || mi > 59) return null;
  return `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}`;
}
