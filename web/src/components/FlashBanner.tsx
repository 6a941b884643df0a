import { effect, signal } from "@preact/signals";
import { flashUnacked } from "../alerts";
import { t } from "../i18n";
import { navigate } from "../router";
import { useState } from "preact/hooks";
import { errorMessage } from "./ErrorText";
import { Time } from "./Time";

let audio: AudioContext | null = null;
const sounded = new Set<string>();

/** Whether the FLASH alarm can sound: browsers keep audio off until a person has clicked on the
 * page, so after a reload it is off until someone starts the watch (header button). */
export const soundOn = signal(false);

function context(): AudioContext | null {
  try {
    audio ??= new AudioContext();
    audio.onstatechange = () => (soundOn.value = audio?.state === "running");
    soundOn.value = audio.state === "running";
    return audio;
  } catch {
    return null; // no audio device (e.g. a headless browser): the banner still cannot be missed
  }
}

/** "Start watch": called from a click, which is what lets the browser play sound. */
export async function enableSound(): Promise<void> {
  const ctx = context();
  if (!ctx) return;
  await ctx.resume().catch(() => undefined);
  soundOn.value = ctx.state === "running";
}

/** A two-tone alarm generated in the browser (no audio file to fetch). */
function alarm(): void {
  const ctx = context();
  if (!ctx) return;
  try {
    for (let i = 0; i < 3; i++) {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      osc.type = "square";
      osc.frequency.value = i % 2 ? 660 : 880;
      gain.gain.value = 0.08;
      osc.connect(gain).connect(ctx.destination);
      const start = ctx.currentTime + i * 0.25;
      osc.start(start);
      osc.stop(start + 0.2);
    }
  } catch {
    // The banner is the alert; the sound only adds to it.
  }
}

effect(() => {
  for (const a of flashUnacked.value) {
    if (sounded.has(a.key)) continue;
    sounded.add(a.key);
    alarm();
  }
});

/** FLASH: a red full-width banner that stays until acknowledged. Acknowledge is offered only to
 * those the server lets acknowledge (the on-duty watch); the others see who must. It can be folded
 * to a thin red strip (still there, still counted); a new FLASH unfolds it. */
export function FlashBanner() {
  const list = flashUnacked.value;
  const [error, setError] = useState<string | null>(null);
  const [folded, setFolded] = useState<string | null>(null);
  if (!list.length) return null;
  const first = list[0]!;
  if (folded === first.key)
    return (
      <div class="flash-banner folded" role="status" data-testid="flash-banner" data-folded="true">
        <span class="flash-tag">FLASH</span>
        <span>{t("flash.count", { count: list.length })}</span>
        <button class="fold" onClick={() => setFolded(null)} aria-expanded="false" data-testid="flash-unfold">
          {t("flash.show")}
        </button>
      </div>
    );
  return (
    <div class="flash-banner" role="alert" data-testid="flash-banner">
      <span class="flash-tag">FLASH</span>
      <a
        href={first.href ?? "#"}
        dir="auto"
        onClick={(e) => {
          e.preventDefault();
          if (first.href) navigate(first.href);
        }}
      >
        {first.title}
      </a>
      <Time value={first.at} />
      {error && <span class="flash-error" role="alert">{error}</span>}
      {list.length > 1 && <span class="more">{t("flash.more", { count: list.length - 1 })}</span>}
      <span class="flash-actions">
        {first.acknowledge ? (
          <button
            class="ack"
            onClick={() => {
              setError(null);
              first.acknowledge?.().catch((err: unknown) => setError(errorMessage(err)));
            }}
            data-testid="flash-ack"
          >
            {t("alert.acknowledge")} <kbd>A</kbd>
          </button>
        ) : (
          <span class="flash-who" data-testid="flash-awaiting">{t("flash.awaiting")}</span>
        )}
        <button class="fold" onClick={() => setFolded(first.key)} aria-expanded="true" title={t("flash.hide")}
                aria-label={t("flash.hide")} data-testid="flash-fold">
          ▴
        </button>
      </span>
    </div>
  );
}

/** The watch officer's shortcut: "a" acknowledges the oldest FLASH on screen. */
export function acknowledgeFirstFlash(): void {
  flashUnacked.value[0]?.acknowledge?.().catch(() => undefined);
}
