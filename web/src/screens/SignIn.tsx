import { useRef, useState } from "preact/hooks";
import { ApiError } from "../api";
import { LANG_NAMES, LANGS, lang, t, type Lang } from "../i18n";
import { signIn } from "../session";

/** Password first; the TOTP step appears only when the server says a code is required. */
export function SignIn() {
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [totp, setTotp] = useState("");
  const [step, setStep] = useState<"password" | "totp">("password");
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const totpRef = useRef<HTMLInputElement>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const result = await signIn(username, password, step === "totp" ? totp : undefined);
      if (result.needsTotp) {
        if (step === "totp") setError(t("signin.totp_wrong"));
        setStep("totp");
        setTotp("");
        setTimeout(() => totpRef.current?.focus(), 0);
      }
    } catch (err) {
      if (err instanceof ApiError && err.status === 429) setError(t("signin.throttled"));
      else if (err instanceof ApiError && err.status === 0) setError(t("error.network"));
      else setError(t("signin.failed"));
    } finally {
      setBusy(false);
    }
  }

  return (
    <main class="signin-screen">
      <form class="signin-card" onSubmit={submit} aria-labelledby="signin-title">
        <div class="signin-top">
          <div class="signin-brand">
            <span class="brand-mark" aria-hidden="true">◆</span> CONCORD
          </div>
          {/* Before signing in, the language is this browser's choice; signing in adopts the person's. */}
          <select
            class="lang"
            name="signin-lang"
            aria-label={t("header.language")}
            value={lang.value}
            onChange={(e) => (lang.value = e.currentTarget.value as Lang)}
          >
            {LANGS.map((l) => (
              <option key={l} value={l} lang={l}>
                {LANG_NAMES[l]}
              </option>
            ))}
          </select>
        </div>
        <h1 id="signin-title">{t("signin.title")}</h1>
        <p class="muted">{t("signin.subtitle")}</p>
        {step === "password" ? (
          <>
            <label>
              {t("signin.username")}
              <input
                name="username"
                autoComplete="username"
                value={username}
                onInput={(e) => setUsername(e.currentTarget.value)}
                required
                autoFocus
                dir="ltr"
              />
            </label>
            <label>
              {t("signin.password")}
              <input
                name="password"
                type="password"
                autoComplete="current-password"
                value={password}
                onInput={(e) => setPassword(e.currentTarget.value)}
                required
                dir="ltr"
              />
            </label>
          </>
        ) : (
          <label>
            {t("signin.totp")}
            <input
              ref={totpRef}
              name="totp"
              inputMode="numeric"
              autoComplete="one-time-code"
              pattern="[0-9]{6}"
              maxLength={6}
              value={totp}
              onInput={(e) => setTotp(e.currentTarget.value.replace(/\D/g, ""))}
              required
              dir="ltr"
            />
            <span class="hint">{t("signin.totp_hint")}</span>
          </label>
        )}
        {error && (
          <p class="form-error" role="alert">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy}>
          {step === "password" ? t("signin.submit") : t("signin.verify")}
        </button>
        {step === "totp" && (
          <button type="button" class="link" onClick={() => (setStep("password"), setError(null))}>
            {t("signin.back")}
          </button>
        )}
        <p class="signin-foot muted">{t("signin.notice")}</p>
      </form>
    </main>
  );
}
