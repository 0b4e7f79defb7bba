/**
 * A run's answer laid out for a table and cards: columns come from the answer (never
 * from the builder: grouped, the server orders them group keys, sums, then 行数), each
 * row an object keyed `c0`, `c1`… (column keys could clash with the table's own
 * fields), and the totals row with the sums under their columns.
 *
 * Pure TypeScript, no Vue.
 */
import type { ColumnKind, ReportResult } from '@/api/types';
import { isNumericKind } from './builder';

export interface ResultColumn {
  key: string;
  label: string;
  kind: ColumnKind;
  /** The row field and cell slot. */
  field: string;
  numeric: boolean;
}

export type ResultRow = { id: number } & Record<string, string | number | null>;

export const resultColumns = (result: ReportResult | null): ResultColumn[] =>
  (result?.columns ?? []).map((c, i) => ({ ...c, field: `c${i}`, numeric: isNumericKind(c.kind) }));

export function resultRows(result: ReportResult | null): ResultRow[] {
  const offset = result ? (result.page - 1) * result.page_size : 0;
  return (result?.rows ?? []).map((cells, r) => {
    const row: ResultRow = { id: offset + r };
    cells.forEach((cell, i) => {
      row[`c${i}`] = cell;
    });
    return row;
  });
}

/**
 * The totals row's cells: each sum under its column, and `label` in the first column
 * that is not a sum (none when every column is one). Null when the report sums nothing.
 */
export function totalsCells(result: ReportResult | null, label: string): Record<string, string> | null {
  const totals = result?.totals ?? {};
  if (!result || !Object.keys(totals).length) return null;
  const columns = resultColumns(result);
  const cells: Record<string, string> = {};
  for (const c of columns) if (totals[c.key] !== undefined) cells[c.field] = totals[c.key]!;
  const first = columns.find((c) => totals[c.key] === undefined);
  if (first) cells[first.field] = label;
  return cells;
}
