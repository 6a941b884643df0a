// Times: Zulu (UTC) everywhere with a `Z`, local time offered on hover; localised digits and month names.
import { locale, t } from "./i18n";

/** Every time in Concord is UTC; a timestamp without an offset is read as UTC, not local time. */
function parse(value: string | Date): Date {
  if (value instanceof Date) return value;
  const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(value);
  return new Date(hasZone || !value.includes("T") ? value : `${value}Z`);
}

/** "29 Nov 2026, 12:34Z" in the reader's language. */
export function zulu(value: string | Date, withSeconds = false): string {
  const d = parse(value);
  if (Number.isNaN(d.getTime())) return "—";
  const fmt = new Intl.DateTimeFormat(locale.value, {
    timeZone: "UTC",
    year: "numeric",
    month: "short",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    second: withSeconds ? "2-digit" : undefined,
    hourCycle: "h23",
  });
  return `${fmt.format(d)}Z`;
}

/** Clock-style Zulu time "12:34:56Z". */
export function zuluClock(d: Date): string {
  const fmt = new Intl.DateTimeFormat(locale.value, {
    timeZone: "UTC", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });
  return `${fmt.format(d)}Z`;
}

export function zuluDate(d: Date): string {
  return new Intl.DateTimeFormat(locale.value, {
    timeZone: "UTC", weekday: "short", day: "2-digit", month: "short", year: "numeric",
  }).format(d);
}

/** Local wall-clock time with the zone name, for hover titles and the header. */
export function local(value: string | Date, withSeconds = false): string {
  const d = parse(value);
  if (Number.isNaN(d.getTime())) return "—";
  return new Intl.DateTimeFormat(locale.value, {
    year: "numeric", month: "short", day: "2-digit", hour: "2-digit", minute: "2-digit",
    second: withSeconds ? "2-digit" : undefined, hourCycle: "h23", timeZoneName: "short",
  }).format(d);
}

export function localClock(d: Date): string {
  return new Intl.DateTimeFormat(locale.value, {
    hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short",
  }).format(d);
}

/** A span such as "3h 12min" in the reader's units and digits. */
export function span(ms: number): string {
  const minutes = Math.floor(Math.abs(ms) / 60000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  const mins = minutes % 60;
  // Narrow units read well in English ("3h 12m") and Arabic; Turkish narrow ones ("17s 37d") read as
  // seconds and days, so Turkish takes its short units ("17 sa. 37 dk.").
  const display = locale.value.startsWith("tr") ? "short" : "narrow";
  const unit = (n: number, u: "day" | "hour" | "minute") =>
    new Intl.NumberFormat(locale.value, { style: "unit", unit: u, unitDisplay: display }).format(n);
  if (days > 0) return `${unit(days, "day")} ${unit(hours, "hour")}`;
  if (hours > 0) return `${unit(hours, "hour")} ${unit(mins, "minute")}`;
  return unit(mins, "minute");
}

/** Deadlines count down: "due in 3h 12min" / "overdue by 5min". */
export function countdown(deadline: string | Date, now: Date): { text: string; overdue: boolean } {
  const ms = parse(deadline).getTime() - now.getTime();
  const overdue = ms < 0;
  return { text: overdue ? t("time.overdue", { span: span(ms) }) : t("time.due_in", { span: span(ms) }), overdue };
}
