import { t, tk } from "../i18n";
import { LEVELS, levelClass, levelLabel, markingText, type Marking } from "../markings";
import { me, nations } from "../session";

export interface MarkingInput {
  level: string;
  releasable_to: string[];
  tlp: string;
  caveats: string[];
}

const TLPS = ["CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"] as const;
const TLP_HINTS: Record<(typeof TLPS)[number], string> = {
  CLEAR: tk("marking.tlp_clear"),
  GREEN: tk("marking.tlp_green"),
  AMBER: tk("marking.tlp_amber"),
  "AMBER+STRICT": tk("marking.tlp_amber_strict"),
  RED: tk("marking.tlp_red"),
};

/** Release to another nation is a deliberate act: the default is the author's own nation only. */
export function defaultMarking(): MarkingInput {
  return { level: "RESTRICTED", releasable_to: [], tlp: "AMBER", caveats: [] };
}

/** The marking as sent: the nations an item is addressed to (RFI recipients, operation participants,
 * incident partners) must be able to read it, so choosing them is choosing its release. */
export function withAddressed(value: MarkingInput, addressed: readonly string[]): MarkingInput {
  return { ...value, releasable_to: [...new Set([...value.releasable_to, ...addressed])] };
}

/** Level (in the reader's labels, up to their clearance), releasable-to nations, TLP and ORCON. */
export function MarkingPicker({ value, onChange, addressed = [] }: { value: MarkingInput; onChange: (m: MarkingInput) => void; addressed?: readonly string[] }) {
  const own = me.value?.nation ?? "";
  const partners = nations.value.map((n) => n.code).filter((c) => c !== own);
  const releasedTo = new Set([...value.releasable_to, ...addressed]);
  const allReleased = partners.length > 0 && partners.every((c) => releasedTo.has(c));
  const ceiling = LEVELS.indexOf((me.value?.clearance ?? "UNCLASSIFIED") as never);
  const preview: Marking = {
    level: value.level as Marking["level"],
    originator: own,
    releasable_to: [...new Set([...releasedTo, own])],
    tlp: value.tlp,
    caveats: value.caveats,
  };
  const toggleNation = (code: string) => {
    const has = value.releasable_to.includes(code);
    onChange({ ...value, releasable_to: has ? value.releasable_to.filter((c) => c !== code) : [...value.releasable_to, code] });
  };
  return (
    <fieldset class="marking-picker" data-testid="marking-picker">
      <legend>{t("marking.title")}</legend>
      <label>
        {t("marking.level")}
        <select name="level" value={value.level} onChange={(e) => onChange({ ...value, level: e.currentTarget.value })}>
          {LEVELS.filter((_, i) => i <= ceiling).map((l) => (
            <option key={l} value={l}>
              {levelLabel(l)}
            </option>
          ))}
        </select>
      </label>
      <div class="field">
        <span>{t("marking.releasable_to")}</span>
        <div class="chips">
          {nations.value.map((n) => {
            const locked = n.code === own || addressed.includes(n.code);
            return (
              <label key={n.code} class="check" title={addressed.includes(n.code) ? t("marking.addressed") : undefined}>
                <input
                  type="checkbox"
                  name={`rel-${n.code}`}
                  checked={n.code === own || releasedTo.has(n.code)}
                  disabled={locked}
                  onChange={() => toggleNation(n.code)}
                />
                {n.code}
              </label>
            );
          })}
          {partners.length > 0 &&
            (allReleased ? (
              <button type="button" class="link" data-testid="release-own" onClick={() => onChange({ ...value, releasable_to: [] })}>
                {t("marking.own_only")}
              </button>
            ) : (
              <button type="button" class="link" data-testid="release-all" onClick={() => onChange({ ...value, releasable_to: partners })}>
                {t("marking.release_all")}
              </button>
            ))}
        </div>
        {releasedTo.size === 0 && <span class="hint muted" data-testid="release-hint">{t("marking.own_only_hint", { nation: own })}</span>}
      </div>
      <label>
        TLP
        <select name="tlp" value={value.tlp} onChange={(e) => onChange({ ...value, tlp: e.currentTarget.value })}>
          {TLPS.map((x) => (
            <option key={x} value={x}>
              TLP:{x} — {t(TLP_HINTS[x])}
            </option>
          ))}
        </select>
      </label>
      <label class="check">
        <input
          type="checkbox"
          name="orcon"
          checked={value.caveats.includes("ORCON")}
          onChange={(e) => onChange({ ...value, caveats: e.currentTarget.checked ? ["ORCON"] : [] })}
        />
        ORCON — {t("marking.orcon")}
      </label>
      <div class={`marking-preview marking ${levelClass(preview.level)}`}>
        <bdi>{markingText(preview)}</bdi>
      </div>
    </fieldset>
  );
}
