import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { locale } from "../i18n";

export interface Column<T> {
  key: string;
  label: string;
  /** The value sorted on (text is compared in the reader's collation). */
  sort?: (row: T) => string | number;
  render: (row: T) => ComponentChildren;
}

/** Dense tables with sortable columns (click a header; again to reverse). */
export function SortableTable<T>({
  rows, columns, rowKey, testId, empty,
}: {
  rows: readonly T[];
  columns: readonly Column<T>[];
  rowKey: (row: T) => string | number;
  testId?: string;
  empty?: string;
}) {
  const [sortKey, setSortKey] = useState<string | null>(null);
  const [descending, setDescending] = useState(false);
  const column = columns.find((c) => c.key === sortKey);
  const collator = new Intl.Collator(locale.value, { numeric: true });
  const sorted = column?.sort
    ? [...rows].sort((a, b) => {
        const x = column.sort!(a);
        const y = column.sort!(b);
        const order = typeof x === "number" && typeof y === "number" ? x - y : collator.compare(String(x), String(y));
        return descending ? -order : order;
      })
    : rows;
  return (
    <table class="grid" data-testid={testId}>
      <thead>
        <tr>
          {columns.map((c) => (
            <th key={c.key} aria-sort={sortKey === c.key ? (descending ? "descending" : "ascending") : undefined}>
              {c.sort ? (
                <button
                  onClick={() => {
                    if (sortKey === c.key) setDescending(!descending);
                    else (setSortKey(c.key), setDescending(false));
                  }}
                >
                  {c.label} {sortKey === c.key ? (descending ? "▼" : "▲") : ""}
                </button>
              ) : (
                c.label
              )}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {sorted.length === 0 && empty ? (
          <tr>
            <td colSpan={columns.length} class="muted">
              {empty}
            </td>
          </tr>
        ) : (
          sorted.map((row) => (
            <tr key={rowKey(row)}>
              {columns.map((c) => (
                <td key={c.key}>{c.render(row)}</td>
              ))}
            </tr>
          ))
        )}
      </tbody>
    </table>
  );
}
