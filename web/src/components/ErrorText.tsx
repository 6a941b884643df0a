import { ApiError } from "../api";
import { lang, t } from "../i18n";

/** A server error in the reader's language. The server's own (English) sentence follows only on an
 * English screen; elsewhere it is kept for the curious in the tooltip, so a Turkish or Arabic reader
 * never reads a sentence that switches language half-way (nor internal ids). */
export function errorMessage(err: unknown): string {
  // A local check's message is already in the reader's language: no "Error:" prefix before it.
  if (!(err instanceof ApiError)) return err instanceof Error ? err.message : String(err);
  const english = lang.value === "en";
  const detail = (text: string) => (english && err.message ? `${text} ${err.message}` : text);
  if (err.status === 0) return t("error.network");
  if (err.code === "not_found") return t("error.not_found");
  if (err.code === "forbidden") return detail(t("error.forbidden"));
  if (err.code === "conflict" && err.field === "conflicts") {
    const ids = err.details["conflicts"];
    return t("error.approval_blocked", { count: Array.isArray(ids) ? ids.length : 1 });
  }
  if (err.code === "conflict") return detail(t("error.conflict"));
  if (err.code === "invalid" || err.status === 422) {
    return detail(err.field ? t("error.invalid_field", { field: err.field }) : t("error.invalid"));
  }
  return detail(t("error.generic"));
}

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  const server = error instanceof ApiError && lang.value !== "en" && error.message ? error.message : undefined;
  return (
    <p class="form-error" role="alert" title={server ? `${t("error.server_said")}: ${server}` : undefined}>
      {errorMessage(error)}
    </p>
  );
}
