import { ApiError } from "../api";
import { t } from "../i18n";

/** A server error in the reader's language where we know it, with the server's own message after. */
export function errorMessage(err: unknown): string {
  if (!(err instanceof ApiError)) return String(err);
  if (err.status === 0) return t("error.network");
  if (err.code === "forbidden") return `${t("error.forbidden")} ${err.message}`;
  if (err.code === "not_found") return t("error.not_found");
  if (err.code === "conflict") return `${t("error.conflict")} ${err.message}`;
  if (err.code === "invalid" || err.status === 422) {
    return err.field ? `${t("error.invalid_field", { field: err.field })} ${err.message}` : `${t("error.invalid")} ${err.message}`;
  }
  return `${t("error.generic")} ${err.message}`;
}

export function ErrorText({ error }: { error: unknown }) {
  if (!error) return null;
  return (
    <p class="form-error" role="alert">
      {errorMessage(error)}
    </p>
  );
}
