import { useEffect, useState } from "preact/hooks";
import { ErrorText } from "../components/ErrorText";
import { type Column, SortableTable } from "../components/SortableTable";
import { Time } from "../components/Time";
import { operations, STATUS_KEYS, STATUSES, type OperationSummary } from "../features/operations";
import { t } from "../i18n";
import { realtime } from "../realtime";
import { navigate, route } from "../router";
import { OperationDetail } from "./OperationDetail";
import { OperationEditor } from "./OperationEditor";
import { Pending } from "./Pending";
import { ApiError } from "../api";

function OperationList() {
  const [list, setList] = useState<OperationSummary[] | null>(null);
  const [status, setStatus] = useState<string>("");
  const [error, setError] = useState<unknown>(null);
  async function load() {
    try {
      setList(await operations.list(status || undefined));
      setError(null);
    } catch (err) {
      setError(err);
    }
  }
  useEffect(() => {
    void load();
    return realtime.on("operation", () => void load());
  }, [status, realtime.resyncs.value]);

  if (error instanceof ApiError && error.status === 404 && list === null) return <Pending title={t("nav.operations")} />;
  const columns: Column<OperationSummary>[] = [
    {
      key: "name",
      label: t("ops.name"),
      sort: (o) => o.name,
      render: (o) => (
        <a href={`/operations/${o.id}`} onClick={(e) => (e.preventDefault(), navigate(`/operations/${o.id}`))}>
          {o.name}
        </a>
      ),
    },
    { key: "status", label: t("ops.status"), sort: (o) => STATUSES.indexOf(o.status), render: (o) => <span class={`status status-${o.status}`}>{t(STATUS_KEYS[o.status])}</span> },
    { key: "version", label: "v", sort: (o) => o.version, render: (o) => o.version },
    { key: "lead", label: t("ops.lead"), sort: (o) => o.lead_nation, render: (o) => o.lead_nation },
    { key: "participants", label: t("ops.participants"), render: (o) => o.participants.join(", ") },
    { key: "starts", label: t("ops.starts"), sort: (o) => o.starts_at, render: (o) => <Time value={o.starts_at} /> },
    { key: "ends", label: t("ops.ends"), sort: (o) => o.ends_at, render: (o) => <Time value={o.ends_at} /> },
  ];
  return (
    <main class="page">
      <div class="page-head">
        <h1>{t("nav.operations")}</h1>
        <button class="primary" onClick={() => navigate("/operations/new")} data-testid="new-operation">
          + {t("ops.new")}
        </button>
      </div>
      <div class="tabs" role="tablist">
        {["", ...STATUSES].map((s) => (
          <button key={s || "all"} role="tab" aria-selected={status === s} class={status === s ? "active" : ""} onClick={() => setStatus(s)}>
            {s ? t(STATUS_KEYS[s as keyof typeof STATUS_KEYS]) : t("ops.all")}
          </button>
        ))}
      </div>
      <ErrorText error={error} />
      <SortableTable rows={list ?? []} columns={columns} rowKey={(o) => o.id} testId="operations" empty={t("ops.none")} />
    </main>
  );
}

/** /operations, /operations/new, /operations/:id, /operations/:id/edit */
export function Operations() {
  const [first, second] = route.value.params;
  if (first === "new") return <OperationEditor />;
  if (first && /^\d+$/.test(first)) {
    return second === "edit" ? <OperationEditor id={Number(first)} /> : <OperationDetail id={Number(first)} />;
  }
  return <OperationList />;
}
