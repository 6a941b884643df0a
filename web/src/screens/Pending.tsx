import { t } from "../i18n";

/** A screen whose capability this server does not offer (yet): says so instead of failing. */
export function Pending({ title }: { title: string }) {
  return (
    <main class="page">
      <h1>{title}</h1>
      <p class="muted">{t("pending.body")}</p>
    </main>
  );
}
