import { useLayoutEffect, useRef, useState } from "preact/hooks";
import { unacknowledged } from "../alerts";
import { enableSound, soundOn } from "./FlashBanner";
import { roleName } from "../codes";
import { now } from "../clock";
import { localClock, zuluClock, zuluDate } from "../format";
import { formatNumber, LANG_NAMES, LANGS, lang, t, tk, type Lang } from "../i18n";
import { levelLabel } from "../markings";
import { realtime, type ConnectionState } from "../realtime";
import { navigate, route, SCREENS } from "../router";
import { personName } from "../features/directory";
import { addShift, isOnDuty, shifts } from "../features/duty";
import { online } from "../features/presence";
import { hasRole, me, signOut } from "../session";
import { theme, toggleTheme } from "../theme";


const LIVE_KEYS: Record<ConnectionState, string> = {
  idle: tk("live.idle"),
  connecting: tk("live.connecting"),
  open: tk("live.open"),
  closed: tk("live.closed"),
};

export { roleName };

function Clock() {
  const d = now.value;
  return (
    <div class="clock" title={`${zuluDate(d)} · ${localClock(d)}`} aria-label={t("header.clock")}>
      <span class="zulu" dir="ltr">{zuluClock(d)}</span>
      <span class="local">
        {t("header.local")} {localClock(d)}
      </span>
    </div>
  );
}

/** On duty / off duty; a watch officer off duty takes the watch (twelve hours from now) in one click. */
function DutyState({ personId }: { personId: number }) {
  const onDuty = isOnDuty(personId);
  if (onDuty === null) return null;
  if (onDuty) return <span class="duty on" data-testid="duty">{t("header.on_duty")}</span>;
  const mayTake = hasRole("watch_officer") || hasRole("commander") || hasRole("administrator");
  return mayTake ? (
    <button
      class="duty off"
      data-testid="duty"
      title={t("header.take_watch")}
      onClick={() => {
        const start = new Date();
        void addShift(personId, start, new Date(start.getTime() + 12 * 3600_000)).catch(() => undefined);
      }}
    >
      {t("header.take_watch")}
    </button>
  ) : (
    <span class="duty off" data-testid="duty">{t("header.off_duty")}</span>
  );
}

/** The nation's watch officers on shift now, each marked online or offline, and how many are online. */
function Watch() {
  const list = shifts.value;
  const present = online.value;
  if (present === null) return null;
  const at = Date.now();
  const onWatch = [
    ...new Set(
      (list ?? []).filter((s) => Date.parse(s.starts_at) <= at && at < Date.parse(s.ends_at)).map((s) => s.person_id),
    ),
  ];
  return (
    <div class="watch" data-testid="presence">
      {onWatch.length > 0 && <span class="watch-label">{t("header.on_watch")}:</span>}
      {onWatch.map((id) => {
        const up = present.has(id);
        return (
          <span key={id} class={`watch-person ${up ? "online" : "offline"}`} data-online={up}
                title={`${personName(id)}: ${up ? t("header.online") : t("header.offline")}`}>
            <span class="dot" aria-hidden="true">●</span> <span class="name">{personName(id)}</span>
          </span>
        );
      })}
      <span class="online-count" data-testid="online-count">{t("header.online_count", { count: present.size })}</span>
    </div>
  );
}

function Who() {
  const person = me.value;
  if (!person) return null;
  const roles = person.roles.map(roleName).join(" · ");
  return (
    <div class="who" data-testid="who" title={`${person.display_name} · ${roles || t("header.no_appointment")}`}>
      <span class="nation-code" title={t("header.nation")}>{person.nation}</span>
      <span class="who-text">
        <span class="who-name">
          <DutyState personId={person.id} />{" "}
          <a class="who-person" dir="auto" href="/account" title={t("account.title")} data-testid="account-link"
            onClick={(e) => (e.preventDefault(), navigate("/account"))}>
            {person.display_name}
          </a>
        </span>
        <span class="who-role">
          {roles || t("header.no_appointment")} · {t("header.clearance")}: {levelLabel(person.clearance)}
        </span>
      </span>
    </div>
  );
}

/** The screens' tabs; those that do not fit the header's width (a laptop, a long language) go into a
 * "More" menu instead of being cut off. Widths are measured from an invisible copy of every tab. */
function MainNav({ current }: { current: string }) {
  const navRef = useRef<HTMLElement>(null);
  const measureRef = useRef<HTMLDivElement>(null);
  const [shown, setShown] = useState(SCREENS.length);
  const [open, setOpen] = useState(false);
  const language = lang.value;
  useLayoutEffect(() => {
    const nav = navRef.current;
    const measure = measureRef.current;
    if (!nav || !measure) return;
    const fit = () => {
      const items = [...measure.children] as HTMLElement[];
      const more = items.pop()!;
      const widths = items.map((el) => el.getBoundingClientRect().width + 2);
      const room = nav.getBoundingClientRect().width;
      const total = widths.reduce((a, b) => a + b, 0);
      if (total <= room) return setShown(widths.length);
      let used = more.getBoundingClientRect().width + 2;
      let count = 0;
      for (const w of widths) {
        if (used + w > room) break;
        used += w;
        count++;
      }
      setShown(count);
    };
    fit();
    const observer = new ResizeObserver(fit);
    observer.observe(nav);
    return () => observer.disconnect();
  }, [language]);
  // Attached as the menu renders (not after paint), so an Escape right after opening closes it.
  useLayoutEffect(() => {
    if (!open) return;
    const close = (e: Event) => {
      if (!(e.target instanceof Node) || !navRef.current?.contains(e.target)) setOpen(false);
    };
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && setOpen(false);
    document.addEventListener("pointerdown", close);
    document.addEventListener("keydown", onKey);
    return () => {
      document.removeEventListener("pointerdown", close);
      document.removeEventListener("keydown", onKey);
    };
  }, [open]);
  const link = (s: (typeof SCREENS)[number], role?: "menuitem") => (
    <a
      key={s.id}
      href={s.path}
      role={role}
      class={current === s.id ? "active" : ""}
      aria-current={current === s.id ? "page" : undefined}
      title={t("nav.shortcut", { key: `g ${s.key}` })}
      onClick={(e) => {
        e.preventDefault();
        setOpen(false);
        navigate(s.path);
      }}
    >
      {t(s.label)}
    </a>
  );
  const hidden = SCREENS.slice(shown);
  return (
    <nav class="main-nav" aria-label={t("nav.label")} ref={navRef} data-testid="main-nav">
      {SCREENS.slice(0, shown).map((s) => link(s))}
      {hidden.length > 0 && (
        <div class="nav-more">
          <button
            type="button"
            class={hidden.some((s) => s.id === current) ? "active" : ""}
            aria-haspopup="menu"
            aria-expanded={open}
            onClick={() => setOpen(!open)}
            data-testid="nav-more"
          >
            {t("nav.more")} ▾
          </button>
          {open && (
            <div class="nav-menu" role="menu" data-testid="nav-menu">
              {hidden.map((s) => link(s, "menuitem"))}
            </div>
          )}
        </div>
      )}
      <div class="nav-measure" ref={measureRef} aria-hidden="true">
        {SCREENS.map((s) => (
          <a key={s.id}>{t(s.label)}</a>
        ))}
        <button type="button" tabIndex={-1}>{t("nav.more")} ▾</button>
      </div>
    </nav>
  );
}

export function Header() {
  const current = route.value.id;
  const count = unacknowledged.value.length;
  const live = realtime.state.value;
  return (
    <header class="app-header">
      <a class="brand" href="/map" onClick={(e) => (e.preventDefault(), navigate("/map"))}>
        <span class="brand-mark" aria-hidden="true">◆</span> <span class="brand-name">CONCORD</span>
      </a>
      <MainNav current={current} />
      <div class="header-right">
        <button
          class={`alert-count ${count ? "hot" : ""}`}
          title={t("header.unacknowledged")}
          aria-label={t("header.unacknowledged")}
          onClick={() => navigate("/map")}
          data-testid="alert-count"
        >
          ⚑ {formatNumber(count)}
        </button>
        <span class={`live live-${live}`} title={t(LIVE_KEYS[live])}>●</span>
        <button
          class={`icon sound ${soundOn.value ? "on" : "off"}`}
          data-testid="sound"
          data-sound={soundOn.value ? "on" : "off"}
          title={soundOn.value ? t("sound.on") : t("sound.start_watch")}
          aria-label={soundOn.value ? t("sound.on") : t("sound.start_watch")}
          onClick={() => void enableSound()}
        >
          {/* Plain characters: consoles often have no colour-emoji font. */}
          {soundOn.value ? "♪" : <><span class="sound-mark">♪</span> <span class="sound-label">{t("sound.off")}</span></>}
        </button>
        <Clock />
        <Watch />
        <Who />
        <select
          class="lang"
          aria-label={t("header.language")}
          value={lang.value}
          onChange={(e) => (lang.value = (e.currentTarget as HTMLSelectElement).value as Lang)}
        >
          {LANGS.map((l) => (
            <option key={l} value={l} lang={l}>
              {LANG_NAMES[l]}
            </option>
          ))}
        </select>
        <button class="icon" onClick={toggleTheme} title={t("header.theme")} aria-label={t("header.theme")} data-testid="theme">
          {theme.value === "dark" ? "☀" : "☾"}
        </button>
        {me.value && (
          <button class="icon" onClick={() => void signOut()} title={t("header.sign_out")} aria-label={t("header.sign_out")} data-testid="sign-out">
            ⏻
          </button>
        )}
      </div>
    </header>
  );
}
