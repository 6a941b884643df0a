import { effect } from "@preact/signals";
import { useEffect } from "preact/hooks";
import { ClassificationBanner } from "./components/Banner";
import { acknowledgeFirstFlash, FlashBanner } from "./components/FlashBanner";
import { Header } from "./components/Header";
import { Shortcuts, shortcutsOpen } from "./components/Shortcuts";
import { lazyScreen } from "./components/Lazy";
import { t } from "./i18n";
import { unacknowledged } from "./alerts";
import { realtime } from "./realtime";
import { capabilitiesKnown, loadCapabilities, offers } from "./capabilities";
import type { ComponentChildren } from "preact";
import { navigate, path, queryParam, route, SCREENS } from "./router";
import { Account } from "./screens/Account";
import { Admin } from "./screens/Admin";
import { Audit } from "./screens/Audit";
import { Chat } from "./screens/Chat";
import { startChatAlerts } from "./features/chat";
import { startDuty } from "./features/duty";
import { startPresence } from "./features/presence";
import "./features/operations";
import "./features/intel";
import "./features/tracks";
import { startRfiAlerts } from "./features/coord";
import { Pending } from "./screens/Pending";
import { SignIn } from "./screens/SignIn";
import { cookie } from "./api";
import { loadMe, me } from "./session";

// The live stream runs while someone is signed in; a different person starts from a fresh position.
let streamOwner: number | null = null;
realtime.onSignedOut = () => {
  me.value = null;
};
effect(() => {
  const person = me.value;
  if (person) {
    if (streamOwner !== null && streamOwner !== person.id) realtime.reset();
    streamOwner = person.id;
    void loadCapabilities().then(() => {
      // /api/ws arrives with the messaging feature (its REST paths are in the OpenAPI document).
      if (offers("/api/channels")) {
        realtime.start();
        startChatAlerts();
      }
      if (offers("/api/duty")) startDuty();
      if (offers("/api/presence")) startPresence();
      startRfiAlerts();
    });
  } else if (person === null) {
    realtime.stop();
  }
});

// Signed out → the sign-in screen (remembering where one was); signed in → back there.
effect(() => {
  const person = me.value;
  if (person === null && route.value.id !== "signin") {
    const here = path.value === "/" ? "" : `?next=${encodeURIComponent(path.value)}`;
    navigate(`/signin${here}`, true);
  } else if (person && route.value.id === "signin") {
    const next = queryParam("next");
    navigate(next && next.startsWith("/") && !next.startsWith("//") ? next : "/map", true);
  }
});

const Intel = lazyScreen(() => import("./screens/Intel").then((m) => m.Intel));
const Coordination = lazyScreen(() => import("./screens/Coordination").then((m) => m.Coordination));
const Releases = lazyScreen(() => import("./screens/Releases").then((m) => m.Releases));
const Operations = lazyScreen(() => import("./screens/Operations").then((m) => m.Operations));
const OperatingPicture = lazyScreen(() => import("./screens/OperatingPicture").then((m) => m.OperatingPicture));

let alertCursor = -1;

// The window title names the screen (useful with several consoles side by side).
effect(() => {
  const screen = SCREENS.find((x) => x.id === route.value.id);
  document.title = screen ? `${t(screen.label)} · Concord` : "Concord";
});

function useShortcuts() {
  useEffect(() => {
    let leader = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onKey = (e: KeyboardEvent) => {
      const target = e.target as HTMLElement | null;
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      if (target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName))) return;
      if (leader) {
        leader = false;
        const screen = SCREENS.find((s) => s.key === e.key.toLowerCase());
        if (screen) navigate(screen.path);
        return;
      }
      if (e.key === "g") {
        leader = true;
        clearTimeout(timer);
        timer = setTimeout(() => (leader = false), 1500);
      } else if (e.key === "a" || e.key === "A") {
        acknowledgeFirstFlash();
      } else if (e.key === "?") {
        shortcutsOpen.value = !shortcutsOpen.value;
      } else if (e.key === "Escape") {
        shortcutsOpen.value = false;
      } else if (e.key === "n" || e.key === "N") {
        // Next alert: open each unacknowledged alert in turn.
        const list = unacknowledged.value.filter((a) => a.href);
        if (list.length) {
          alertCursor = (alertCursor + 1) % list.length;
          navigate(list[alertCursor]!.href!);
        }
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
}

/** A screen whose capability the server may not offer yet: say so rather than call a missing API. */
function Requires({ path: apiPath, title, children }: { path: string; title: string; children: ComponentChildren }) {
  if (!capabilitiesKnown()) return <main class="page loading">{t("app.loading")}</main>;
  return offers(apiPath) ? <>{children}</> : <Pending title={title} />;
}

function Screen() {
  const r = route.value;
  switch (r.id) {
    case "map":
      return <OperatingPicture />;
    case "intel":
      return (
        <Requires path="/api/intel/objects" title={t("nav.intel")}>
          <Intel />
        </Requires>
      );
    case "operations":
      return (
        <Requires path="/api/operations" title={t("nav.operations")}>
          <Operations />
        </Requires>
      );
    case "incidents":
      return (
        <Requires path="/api/incidents" title={t("nav.incidents")}>
          <Coordination />
        </Requires>
      );
    case "releases":
      return (
        <Requires path="/api/releases" title={t("nav.releases")}>
          <Releases />
        </Requires>
      );
    case "chat":
      return (
        <Requires path="/api/channels" title={t("nav.chat")}>
          <Chat />
        </Requires>
      );
    case "audit":
      return (
        <Requires path="/api/audit/checkpoint" title={t("nav.audit")}>
          <Audit />
        </Requires>
      );
    case "admin":
      return <Admin />;
    case "account":
      return <Account />;
    default:
      return (
        <main class="page">
          <h1>{t("notfound.title")}</h1>
        </main>
      );
  }
}

export function App() {
  useEffect(() => {
    // Without the (page-readable) CSRF cookie there is no session: go straight to sign-in rather
    // than asking the server and logging a 401 in the console.
    if (!cookie("concord_csrf")) me.value = null;
    else loadMe().catch(() => (me.value = null));
  }, []);
  useShortcuts();
  const person = me.value;
  return (
    <div class="app">
      <ClassificationBanner position="top" />
      {person === undefined ? (
        <main class="page loading" aria-busy="true">
          {t("app.loading")}
        </main>
      ) : person === null ? (
        <SignIn />
      ) : (
        <>
          <Header />
          <FlashBanner />
          <Shortcuts />
          <div class="screen">
            <Screen />
          </div>
        </>
      )}
      <ClassificationBanner position="bottom" />
    </div>
  );
}
