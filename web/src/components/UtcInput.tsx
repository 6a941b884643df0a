import { t } from "../i18n";
import { parseUtc } from "../utc";

/** A UTC date and 24-hour time typed as ISO 8601 ("2026-12-07 14:30Z"), never AM/PM whatever the
 * browser's locale (Chromium's datetime-local follows the OS and shows AM/PM). The value is the same
 * "YYYY-MM-DDTHH:MM" a datetime-local input gives, read as UTC. */
export function UtcInput({ value, onInput, name, label, required = false, testId }: {
  value: string;
  onInput: (value: string) => void;
  name?: string;
  label?: string;
  required?: boolean;
  testId?: string;
}) {
  return (
    <span class="utc-input" dir="ltr">
      <input
        type="text" inputMode="numeric" dir="ltr" name={name} aria-label={label} required={required}
        placeholder="YYYY-MM-DD HH:MM" data-testid={testId} size={17} autoComplete="off"
        value={value.replace("T", " ")}
        onInput={(e) => {
          const el = e.currentTarget;
          const parsed = parseUtc(el.value);
          el.setCustomValidity(parsed === null ? t("time.invalid_utc") : "");
          onInput(parsed ?? el.value);
        }}
      />
      <span class="muted" aria-hidden="true">Z</span>
    </span>
  );
}
