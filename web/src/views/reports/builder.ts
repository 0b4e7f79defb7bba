/**
 * The report builder's rules, mirroring the server's (crates/domain/src/reports.rs) so a
 * person sees a problem where they make it: which operators a column's kind takes, that
 * grouping is only on group keys (never money or quantities) and then every column shown
 * must be a group key or a sum, what a filter value must look like. The server still has
 * the last word: its 400 details (`filters[0].value`…) are placed on the same parts by
 * `placeErrors`. Also: the form ⇄ definition and definition ⇄ URL text.
 *
 * Pure TypeScript, no Vue.
 */
import type {
  ApiErrorDetail,
  ColumnKind,
  FilterOp,
  ReportColumn,
  ReportDataset,
  ReportDatasetKey,
  ReportDefinition,
} from '@/api/types';

/** The operators a column's kind takes, in menu order. */
export const OPERATORS: Record<ColumnKind, readonly FilterOp[]> = {
  text: ['eq', 'ne', 'contains', 'in'],
  date: ['eq', 'ne', 'gte', 'lte', 'in'],
  period: ['eq', 'ne', 'gte', 'lte', 'in'],
  money: ['eq', 'ne', 'gte', 'lte', 'in'],
  quantity: ['eq', 'ne', 'gte', 'lte', 'in'],
  integer: ['eq', 'ne', 'gte', 'lte', 'in'],
};
const ALL_OPS: readonly FilterOp[] = ['eq', 'ne', 'contains', 'gte', 'lte', 'in'];
const DATASETS: readonly ReportDatasetKey[] = ['customers', 'bills', 'payments', 'usage'];

export const opsFor = (kind: ColumnKind | undefined): readonly FilterOp[] => (kind ? OPERATORS[kind] : []);

/** Cells of these kinds are numbers: right-aligned. */
export const isNumericKind = (kind: ColumnKind) => kind === 'money' || kind === 'quantity' || kind === 'integer';

/** How a filter's value is typed: several values (属于) as tags, a date or a month with a picker, else text. */
export type ValueInput = 'tags' | 'date' | 'month' | 'text';
export function valueInputFor(kind: ColumnKind | undefined, op: FilterOp | ''): ValueInput {
  if (op === 'in') return 'tags';
  if (kind === 'date') return 'date';
  if (kind === 'period') return 'month';
  return 'text';
}

/** One filter as the form holds it; `id` keeps its errors on it while rows come and go. */
export interface FilterRow {
  id: number;
  column: string;
  op: FilterOp | '';
  value: string;
}

export interface ReportForm {
  dataset: ReportDatasetKey;
  /** Shown in this order (ungrouped; grouped rows are group keys, then sums, then 行数). */
  columns: string[];
  filters: FilterRow[];
  group_by: string[];
  sums: string[];
}

let nextRowId = 1;
export const filterRow = (column = '', op: FilterOp | '' = '', value = ''): FilterRow => ({ id: nextRowId++, column, op, value });

export const emptyForm = (dataset: ReportDatasetKey): ReportForm => ({ dataset, columns: [], filters: [], group_by: [], sums: [] });

export const columnOf = (dataset: ReportDataset | undefined, key: string): ReportColumn | undefined =>
  dataset?.columns.find((c) => c.key === key);

/** `属于`'s values: separated by commas (either width), blanks dropped. */
export const splitValues = (text: string) =>
  text
    .split(/[,，]/)
    .map((v) => v.trim())
    .filter(Boolean);
export const joinValues = (values: readonly string[]) => values.map((v) => v.trim()).filter(Boolean).join(',');

/** What the server is sent: the form without its row ids, values trimmed, `属于` lists tidied. */
export function toDefinition(form: ReportForm): ReportDefinition {
  return {
    dataset: form.dataset,
    columns: [...form.columns],
    filters: form.filters.map((row) => ({
      column: row.column,
      op: row.op as FilterOp,
      value: row.op === 'in' ? joinValues(splitValues(row.value)) : row.value.trim(),
    })),
    group_by: [...form.group_by],
    sums: [...form.sums],
  };
}

export function fromDefinition(definition: ReportDefinition): ReportForm {
  return {
    dataset: definition.dataset,
    columns: [...definition.columns],
    filters: (definition.filters ?? []).map((f) => filterRow(f.column, f.op, f.value)),
    group_by: [...(definition.group_by ?? [])],
    sums: [...(definition.sums ?? [])],
  };
}

/** The same report, whatever the spelling (missing lists are empty lists). */
export const sameDefinition = (a: ReportDefinition, b: ReportDefinition) =>
  encodeDefinition(toDefinition(fromDefinition(a))) === encodeDefinition(toDefinition(fromDefinition(b)));

// ---- editing ------------------------------------------------------------------

const without = (list: string[], key: string) => list.filter((k) => k !== key);

/** Tick or untick a column; an unticked one is no longer a group key or a sum either. */
export function toggleColumn(form: ReportForm, key: string, on: boolean): void {
  if (on) {
    if (!form.columns.includes(key)) form.columns.push(key);
    return;
  }
  form.columns = without(form.columns, key);
  form.group_by = without(form.group_by, key);
  form.sums = without(form.sums, key);
}

/** Move the column at `index` up (−1) or down (+1). */
export function moveColumn(form: ReportForm, index: number, delta: -1 | 1): void {
  const to = index + delta;
  if (index < 0 || to < 0 || index >= form.columns.length || to >= form.columns.length) return;
  const columns = [...form.columns];
  [columns[index], columns[to]] = [columns[to]!, columns[index]!];
  form.columns = columns;
}

/** Group keys and sums are shown, so picking one also ticks its column. */
export function setGroupBy(form: ReportForm, keys: string[]): void {
  form.group_by = [...keys];
  for (const key of keys) toggleColumn(form, key, true);
}
export function setSums(form: ReportForm, keys: string[]): void {
  form.sums = [...keys];
  for (const key of keys) toggleColumn(form, key, true);
}

/** The grouping rule: with group keys, the shown columns that are neither a key nor a sum. */
export const outsideGroup = (form: ReportForm) =>
  form.group_by.length ? form.columns.filter((key) => !form.group_by.includes(key) && !form.sums.includes(key)) : [];

/** Another column for a filter: its operator kept when the new kind takes it, its value when the kind is the same. */
export function changeFilterColumn(row: FilterRow, column: ReportColumn | undefined, previous: ReportColumn | undefined): void {
  row.column = column?.key ?? '';
  const ops = opsFor(column?.kind);
  if (!row.op || !ops.includes(row.op)) row.op = ops[0] ?? '';
  if (column?.kind !== previous?.kind) row.value = '';
}

/** Another operator: leaving 属于 keeps its first value, since the input takes one. */
export function changeFilterOp(row: FilterRow, op: FilterOp): void {
  if (row.op === 'in' && op !== 'in') row.value = splitValues(row.value)[0] ?? '';
  row.op = op;
}

// ---- checks -------------------------------------------------------------------

const DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const DECIMAL = /^-?\d+(\.\d{1,4})?$/;
const INTEGER = /^-?\d+$/;
const VALUE_FORMS: Record<ColumnKind, RegExp | null> = { text: null, date: DATE, period: PERIOD, money: DECIMAL, quantity: DECIMAL, integer: INTEGER };
export const MAX_COLUMNS = 30;
export const MAX_FILTERS = 20;

/** What the client found wrong, as a code and what its message names. */
export type ProblemCode =
  | 'NO_COLUMNS'
  | 'TOO_MANY_COLUMNS'
  | 'TOO_MANY_FILTERS'
  | 'UNKNOWN_COLUMN'
  | 'NOT_GROUPABLE'
  | 'NOT_SUMMABLE'
  | 'NOT_IN_GROUP'
  | 'NO_FILTER_COLUMN'
  | 'INVALID_OP'
  | 'NO_VALUE'
  | 'INVALID_VALUE';
export type Say = (code: ProblemCode, params: { label?: string; kind?: ColumnKind; max?: number }) => string;

/**
 * The server's rules, checked before sending: the problems as the server would name
 * them (`field`, `code`, a message `say` words), so `placeErrors` puts both in one place.
 */
export function checkForm(form: ReportForm, dataset: ReportDataset | undefined, say: Say): ApiErrorDetail[] {
  const problems: ApiErrorDetail[] = [];
  const add = (field: string, code: ProblemCode, params: Parameters<Say>[1] = {}) => problems.push({ field, code, message: say(code, params) });
  const label = (key: string) => columnOf(dataset, key)?.label ?? key;

  if (!form.columns.length) add('columns', 'NO_COLUMNS');
  if (form.columns.length > MAX_COLUMNS) add('columns', 'TOO_MANY_COLUMNS', { max: MAX_COLUMNS });
  form.columns.forEach((key, i) => {
    if (!columnOf(dataset, key)) add(`columns[${i}]`, 'UNKNOWN_COLUMN', { label: key });
  });
  form.group_by.forEach((key, i) => {
    const column = columnOf(dataset, key);
    if (!column) add(`group_by[${i}]`, 'UNKNOWN_COLUMN', { label: key });
    else if (!column.groupable) add(`group_by[${i}]`, 'NOT_GROUPABLE', { label: column.label });
  });
  form.sums.forEach((key, i) => {
    const column = columnOf(dataset, key);
    if (!column) add(`sums[${i}]`, 'UNKNOWN_COLUMN', { label: key });
    else if (!column.summable) add(`sums[${i}]`, 'NOT_SUMMABLE', { label: column.label });
  });
  const outside = outsideGroup(form);
  form.columns.forEach((key, i) => {
    if (outside.includes(key) && columnOf(dataset, key)) add(`columns[${i}]`, 'NOT_IN_GROUP', { label: label(key) });
  });
  if (form.filters.length > MAX_FILTERS) add('filters', 'TOO_MANY_FILTERS', { max: MAX_FILTERS });
  form.filters.forEach((row, i) => {
    const column = columnOf(dataset, row.column);
    if (!row.column) return add(`filters[${i}].column`, 'NO_FILTER_COLUMN');
    if (!column) return add(`filters[${i}].column`, 'UNKNOWN_COLUMN', { label: row.column });
    if (!row.op || !opsFor(column.kind).includes(row.op)) return add(`filters[${i}].op`, 'INVALID_OP', { label: column.label });
    const values = row.op === 'in' ? splitValues(row.value) : [row.value.trim()].filter(Boolean);
    if (!values.length) return add(`filters[${i}].value`, 'NO_VALUE');
    const pattern = VALUE_FORMS[column.kind];
    if (pattern && !values.every((v) => pattern.test(v))) add(`filters[${i}].value`, 'INVALID_VALUE', { label: column.label, kind: column.kind });
  });
  return problems;
}

// ---- errors on the form's parts -------------------------------------------------

export interface FilterErrors {
  column?: string;
  op?: string;
  value?: string;
}

/** Problems placed on the builder's parts; `other` is what names no part (shown above). */
export interface ReportErrors {
  dataset: string;
  /** The column list as a whole (none picked, too many). */
  columns: string;
  /** One column, by key. */
  column: Record<string, string>;
  /** The filter list as a whole. */
  filters: string;
  /** One filter, by its row id. */
  filter: Record<number, FilterErrors>;
  group_by: string;
  sums: string;
  name: string;
  other: string[];
}

export const noErrors = (): ReportErrors => ({ dataset: '', columns: '', column: {}, filters: '', filter: {}, group_by: '', sums: '', name: '', other: [] });

export const hasErrors = (errors: ReportErrors) =>
  !!(errors.dataset || errors.columns || errors.filters || errors.group_by || errors.sums || errors.name || errors.other.length) ||
  Object.keys(errors.column).length > 0 ||
  Object.keys(errors.filter).length > 0;

const joined = (a: string | undefined, b: string) => (a ? `${a}；${b}` : b);

/**
 * Put each detail of a 400 (the server's or `checkForm`'s) on the part it names, read
 * against the form that was sent: `columns[2]` is that form's third column, `filters[0].value`
 * its first filter row (by id, so the message stays on the row if rows move later).
 */
export function placeErrors(details: readonly ApiErrorDetail[], sent: ReportForm): ReportErrors {
  const errors = noErrors();
  for (const detail of details) {
    // A save names the definition's parts under `definition.`; a run names them bare.
    const field = (detail.field ?? '').replace(/^definition\./, '');
    const message = detail.message;
    const indexed = /^(columns|group_by|sums|filters)\[(\d+)\](?:\.(column|op|value))?$/.exec(field);
    if (indexed) {
      const [, list, index, part] = indexed;
      const i = Number(index);
      if (list === 'columns' && sent.columns[i] !== undefined) {
        const key = sent.columns[i]!;
        errors.column[key] = joined(errors.column[key], message);
        continue;
      }
      if (list === 'group_by' || list === 'sums') {
        errors[list] = joined(errors[list], message);
        continue;
      }
      const row = list === 'filters' ? sent.filters[i] : undefined;
      if (row) {
        const slot = (part ?? 'value') as keyof FilterErrors;
        const own = (errors.filter[row.id] ??= {});
        own[slot] = joined(own[slot], message);
        continue;
      }
    }
    if (field === 'dataset' || field === 'columns' || field === 'filters' || field === 'group_by' || field === 'sums' || field === 'name') {
      errors[field] = joined(errors[field], message);
      continue;
    }
    errors.other.push(message);
  }
  return errors;
}

// ---- the URL ------------------------------------------------------------------

/** A definition as the URL carries it (so a reload keeps an unsaved report). */
export const encodeDefinition = (definition: ReportDefinition) => JSON.stringify(toDefinitionShape(definition));

function toDefinitionShape(d: ReportDefinition): Required<ReportDefinition> {
  return { dataset: d.dataset, columns: d.columns, filters: d.filters ?? [], group_by: d.group_by ?? [], sums: d.sums ?? [] };
}

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** The URL's definition; null when it is not one (edited by hand, cut short). */
export function decodeDefinition(text: string): ReportDefinition | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const d = value as Record<string, unknown>;
  if (typeof d.dataset !== 'string' || !(DATASETS as readonly string[]).includes(d.dataset)) return null;
  if (!isStringList(d.columns)) return null;
  const lists = ['group_by', 'sums'] as const;
  if (lists.some((k) => d[k] !== undefined && !isStringList(d[k]))) return null;
  const filters = d.filters ?? [];
  if (!Array.isArray(filters)) return null;
  const valid = filters.every(
    (f: unknown) =>
      typeof f === 'object' &&
      f !== null &&
      typeof (f as Record<string, unknown>).column === 'string' &&
      (ALL_OPS as readonly unknown[]).includes((f as Record<string, unknown>).op) &&
      typeof (f as Record<string, unknown>).value === 'string',
  );
  if (!valid) return null;
  return toDefinitionShape({
    dataset: d.dataset as ReportDatasetKey,
    columns: d.columns,
    filters: (filters as { column: string; op: FilterOp; value: string }[]).map(({ column, op, value }) => ({ column, op, value })),
    group_by: (d.group_by as string[] | undefined) ?? [],
    sums: (d.sums as string[] | undefined) ?? [],
  });
}
