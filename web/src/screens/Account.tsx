import { useState } from "preact/hooks";
import { api } from "../api";
import { ErrorText } from "../components/ErrorText";
import { t } from "../i18n";
import { loadMe, me } from "../session";

/** "JBSWY3DP…" in groups of four, as authenticator apps show it, easier to type by hand. */
const grouped = (secret: string) => secret.replace(/(.{4})/g, "$1 ").trim();

/** TOTP: start (a new secret), confirm with the password and a code from it; or turn it off. */
function SecondFactor() {
  const enabled = me.value?.totp_enabled ?? false;
  const [pending, setPending] = useState<{ secret: string; uri: string } | null>(null);
  const [password, setPassword] = useState("");
  const [code, setCode] = useState("");
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState<string | null>(null);

  async function start() {
    setError(null);
    setDone(null);
    try {
      setPending(await api.post<{ secret: string; uri: string }>("/api/me/totp"));
    } catch (err) {
      setError(err);
    }
  }
  async function confirm(e: Event) {
    e.preventDefault();
    if (!pending) return;
    setError(null);
    try {
      await api.post("/api/me/totp/confirm", { password, secret: pending.secret, code });
      setPending(null);
      setPassword("");
      setCode("");
      setDone(t("account.totp_on"));
      await loadMe();
    } catch (err) {
      setError(err);
    }
  }
  async function turnOff(e: Event) {
    e.preventDefault();
    setError(null);
    try {
      await api.del("/api/me/totp", { password });
      setPassword("");
      setDone(t("account.totp_off"));
      await loadMe();
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section class="card stack" data-testid="account-totp">
      <h2>{t("account.totp")}</h2>
      <p data-testid="totp-state">
        <span class={enabled ? "chip approved" : "chip"}>{enabled ? t("account.totp_enabled") : t("account.totp_disabled")}</span>
      </p>
      <p class="hint">{t("account.totp_rule")}</p>
      {!enabled && !pending && (
        <div>
          <button class="primary" onClick={() => void start()} data-testid="totp-start">
            {t("account.totp_start")}
          </button>
        </div>
      )}
      {pending && (
        <form class="stack" onSubmit={confirm} aria-label={t("account.totp_confirm")}>
          <p>{t("account.totp_scan")}</p>
          <code dir="ltr" class="secret" data-testid="totp-secret">
            {grouped(pending.secret)}
          </code>
          <code dir="ltr" class="secret-uri muted">{pending.uri}</code>
          <label>
            {t("account.current_password")}
            <input type="password" name="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
          </label>
          <label>
            {t("account.totp_code")}
            <input name="code" inputMode="numeric" pattern="[0-9]{6}" maxLength={6} autocomplete="one-time-code" dir="ltr" value={code} onInput={(e) => setCode(e.currentTarget.value)} required />
          </label>
          <button class="primary" type="submit" data-testid="totp-confirm">
            {t("account.totp_confirm")}
          </button>
        </form>
      )}
      {enabled && (
        <form class="stack" onSubmit={turnOff} aria-label={t("account.totp_turn_off")}>
          <label>
            {t("account.current_password")}
            <input type="password" name="password" autocomplete="current-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} required />
          </label>
          <button class="danger" type="submit" data-testid="totp-off">
            {t("account.totp_turn_off")}
          </button>
        </form>
      )}
      {done && <p class="ok" role="status">{done}</p>}
      <ErrorText error={error} />
    </section>
  );
}

function Sessions() {
  const [revoked, setRevoked] = useState<number | null>(null);
  const [error, setError] = useState<unknown>(null);
  async function signOutElsewhere() {
    setError(null);
    try {
      setRevoked((await api.del<{ revoked: number }>("/api/sessions/others")).revoked);
    } catch (err) {
      setError(err);
    }
  }
  return (
    <section class="card stack" data-testid="account-sessions">
      <h2>{t("account.sessions")}</h2>
      <p class="hint">{t("account.sessions_rule")}</p>
      <div>
        <button class="secondary" onClick={() => void signOutElsewhere()} data-testid="sign-out-elsewhere">
          {t("account.sign_out_elsewhere")}
        </button>
      </div>
      {revoked !== null && (
        <p class="ok" role="status" data-testid="signed-out-elsewhere">
          {t("account.signed_out_elsewhere", { count: revoked })}
        </p>
      )}
      <ErrorText error={error} />
    </section>
  );
}

/** /account: the signed-in person's own second factor and sessions. */
export function Account() {
  const person = me.value;
  if (!person) return null;
  return (
    <main class="page account" data-testid="account">
      <h1>
        {t("account.title")} · <bdi>{person.display_name}</bdi>
      </h1>
      <div class="account-layout">
        <SecondFactor />
        <Sessions />
      </div>
    </main>
  );
}
