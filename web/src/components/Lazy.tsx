import type { ComponentType } from "preact";
import { useEffect, useState } from "preact/hooks";
import { t } from "../i18n";

/** Load a heavy screen (the map and its symbol library) only when it is first shown. */
export function lazyScreen<P extends object>(load: () => Promise<ComponentType<P>>): ComponentType<P> {
  let loaded: ComponentType<P> | null = null;
  return function LazyScreen(props: P) {
    const [Component, setComponent] = useState<ComponentType<P> | null>(() => loaded);
    useEffect(() => {
      if (loaded) return;
      let alive = true;
      void load().then((c) => {
        loaded = c;
        if (alive) setComponent(() => c);
      });
      return () => {
        alive = false;
      };
    }, []);
    return Component ? <Component {...props} /> : <main class="page loading" aria-busy="true">{t("app.loading")}</main>;
  };
}
