import { local, zulu } from "../format";

/** A time in Zulu; local time on hover. */
export function Time({ value, seconds = false }: { value: string; seconds?: boolean }) {
  return (
    <time dateTime={value} title={local(value, seconds)} dir="auto">
      {zulu(value, seconds)}
    </time>
  );
}
