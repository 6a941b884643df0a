import { signal } from "@preact/signals";
import { Fragment } from "preact";
import { t } from "../i18n";
import { SCREENS } from "../router";

export const shortcutsOpen = signal(false);

/** "?" shows the watch officer's keyboard shortcuts. */
export function Shortcuts() {
  if (!shortcutsOpen.value) return null;
  return (
    <div class="shortcuts-backdrop" onClick={() => (shortcutsOpen.value = false)}>
      <section class="panel shortcuts" role="dialog" aria-label={t("help.title")} onClick={(e) => e.stopPropagation()}>
        <h2>{t("help.title")}</h2>
        <dl class="facts">
          {SCREENS.map((s) => (
            <Fragment key={s.id}>
              <dt>
                <kbd>g</kbd> <kbd>{s.key}</kbd>
              </dt>
              <dd>{t(s.label)}</dd>
            </Fragment>
          ))}
          <dt>
            <kbd>L</kbd>
          </dt>
          <dd>{t("help.layers")}</dd>
          <dt>
            <kbd>A</kbd>
          </dt>
          <dd>{t("help.ack")}</dd>
          <dt>
            <kbd>N</kbd>
          </dt>
          <dd>{t("help.next")}</dd>
          <dt>
            <kbd>?</kbd>
          </dt>
          <dd>{t("help.title")}</dd>
        </dl>
        <button class="secondary" onClick={() => (shortcutsOpen.value = false)}>
          {t("help.close")}
        </button>
      </section>
    </div>
  );
}
