// The alert rail's contents: FLASH/IMMEDIATE traffic, deconfliction alerts, overdue RFIs. Each
// feature module pushes its alerts here; the rail and the header count read them.
import { computed, signal } from "@preact/signals";
import type { Marking } from "./markings";

export type AlertKind = "flash" | "immediate" | "conflict" | "rfi_overdue";

export interface Alert {
  key: string;
  kind: AlertKind;
  title: string;
  detail?: string;
  at: string;
  marking: Marking | null;
  acknowledged: boolean;
  href?: string;
  /** Acknowledge in one click, where the alert allows it. */
  acknowledge?: () => Promise<void>;
}

const bySource = signal<ReadonlyMap<string, readonly Alert[]>>(new Map());

/** Replace all alerts from one source (e.g. "chat", "conflicts", "rfis"). */
export function setAlerts(source: string, alerts: readonly Alert[]): void {
  const next = new Map(bySource.peek());
  next.set(source, alerts);
  bySource.value = next;
}

const ORDER: Record<AlertKind, number> = { flash: 0, conflict: 1, immediate: 2, rfi_overdue: 3 };

export const alerts = computed(() =>
  [...bySource.value.values()].flat().sort((a, b) => ORDER[a.kind] - ORDER[b.kind] || b.at.localeCompare(a.at)),
);
export const unacknowledged = computed(() => alerts.value.filter((a) => !a.acknowledged));
export const flashUnacked = computed(() => unacknowledged.value.filter((a) => a.kind === "flash"));
