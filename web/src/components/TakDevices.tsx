import { useEffect, useState } from "preact/hooks";
import { api } from "../api";
import { t } from "../i18n";
import { ErrorText } from "./ErrorText";
import { Time } from "./Time";

interface Device {
  serial: string;
  issued_at: string;
  expires_at: string;
  revoked: boolean;
}

interface Enrolment {
  device: Device;
  password: string;
  package_filename: string;
  package_base64: string;
  certificate_pem: string;
}

/** A download link for bytes the server returned once (nothing is written to disk until one clicks). */
function blobUrl(data: BlobPart, type: string): string {
  return URL.createObjectURL(new Blob([data], { type }));
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const raw = atob(text);
  const bytes = new Uint8Array(raw.length);
  for (let i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
  return bytes;
}

/** One person's TAK clients: enrol one (certificate and data package, shown once), revoke one. */
export function TakDevices({ person, onClose }: { person: { id: number; display_name: string; username: string }; onClose: () => void }) {
  const [devices, setDevices] = useState<Device[] | null>(null);
  const [issued, setIssued] = useState<{ enrolment: Enrolment; zip: string; pem: string } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const base = `/api/people/${person.id}/tak-devices`;
  const load = () => void api.get<Device[]>(base).then(setDevices, setError);
  useEffect(load, [person.id]);
  // The links hold the private key's package: drop them when the panel goes.
  useEffect(() => () => issued && (URL.revokeObjectURL(issued.zip), URL.revokeObjectURL(issued.pem)), [issued]);

  async function enrol() {
    setBusy(true);
    setError(null);
    try {
      const made = await api.post<Enrolment>(base);
      setIssued({
        enrolment: made,
        zip: blobUrl(decodeBase64(made.package_base64), "application/zip"),
        pem: blobUrl(made.certificate_pem, "application/x-pem-file"),
      });
      load();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  }
  async function revoke(serial: string) {
    setError(null);
    try {
      await api.post<Device>(`${base}/${serial}/revoke`);
      load();
    } catch (err) {
      setError(err);
    }
  }

  return (
    <section class="card stack" data-testid="tak-devices" aria-label={t("admin.tak_devices")}>
      <div class="page-head">
        <h2>
          {t("admin.tak_devices")} · <bdi>{person.display_name}</bdi>
        </h2>
        <button class="link" onClick={onClose}>
          {t("admin.dismiss")}
        </button>
      </div>
      <p class="hint">{t("admin.tak_rule")}</p>
      {devices && devices.length === 0 && <p class="muted">{t("admin.tak_none")}</p>}
      {devices && devices.length > 0 && (
        <table class="grid">
          <thead>
            <tr>
              <th>{t("admin.tak_serial")}</th>
              <th>{t("admin.tak_issued")}</th>
              <th>{t("admin.tak_expires")}</th>
              <th>{t("admin.status")}</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {devices.map((d) => (
              <tr key={d.serial} data-testid="tak-device" data-revoked={String(d.revoked)}>
                <td>
                  <code dir="ltr">{d.serial.slice(0, 16)}</code>
                </td>
                <td>
                  <Time value={d.issued_at} />
                </td>
                <td>
                  <Time value={d.expires_at} />
                </td>
                <td>
                  <span class={d.revoked ? "chip rejected" : "chip approved"}>{d.revoked ? t("admin.tak_revoked") : t("admin.active")}</span>
                </td>
                <td>
                  {!d.revoked && (
                    <button class="danger" onClick={() => void revoke(d.serial)} data-testid="tak-revoke">
                      {t("admin.tak_revoke")}
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {issued && (
        <div class="notice stack" role="status" data-testid="tak-issued">
          <p>{t("admin.tak_issued_once")}</p>
          <p>
            {t("admin.tak_password")} <code dir="ltr" data-testid="tak-password">{issued.enrolment.password}</code>
          </p>
          <div class="row-actions">
            <a class="button secondary" href={issued.zip} download={issued.enrolment.package_filename} data-testid="tak-package">
              ⤓ {t("admin.tak_package")}
            </a>
            <a class="button secondary" href={issued.pem} download={`${person.username}.pem`} data-testid="tak-certificate">
              ⤓ {t("admin.tak_certificate")}
            </a>
          </div>
        </div>
      )}
      <ErrorText error={error} />
      <div>
        <button class="primary" onClick={() => void enrol()} disabled={busy} data-testid="tak-enrol">
          + {t("admin.tak_enrol")}
        </button>
      </div>
    </section>
  );
}
