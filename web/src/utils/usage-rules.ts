/**
 * The usage checks of the server (`crates/domain/src/usage/`: mod.rs `check`, quantity.rs),
 * mirrored for the entry form so it marks a problem before anything is sent. The server
 * stays the authority (its 400 `details[].field`, `records[0].quantity`, land on the same
 * paths) and accepts more forms than the form asks for (`1,234.5`, full-width digits,
 * `1.2E3`): the form wants plain decimals. Chinese messages are the server's verbatim.
 *
 * Pure TypeScript, no Vue: the dialogs and the tests share it.
 */
import type { DeviceSeries, QuarantineReason } from '@/api/types';
import { addDecimal, normalizeDecimal, toScaled } from './decimal';
import { SERIES_ORDER } from './pricing-rules';
import { I64_MAX, SCALE, type RuleError } from './rules';

export { SERIES_ORDER };

export const QUARANTINE_REASONS: readonly QuarantineReason[] = [
  'UNKNOWN_ACCOUNT',
  'UNKNOWN_SERIES',
  'INVALID_QUANTITY',
  'INVALID_DAY',
  'DAY_OUT_OF_RANGE',
  'OVER_LIMIT',
  'CUSTOMER_CLOSED',
  'USAGE_EXISTS',
];

/** Reasons a person may accept as they are (`accept`): a real over-limit value, a wanted second record. */
export const ACCEPTABLE_REASONS: readonly QuarantineReason[] = ['OVER_LIMIT', 'USAGE_EXISTS'];

/** PATCH /usage/{id}: the reason is 1–200 characters. */
export const CORRECTION_REASON_MAX = 200;

// ---- messages (verbatim from the domain crate) ------------------------------------

export const USAGE_MESSAGES = {
  customerMissing: '未提供客户或平台账号',
  seriesMissing: '缺少设备系列',
  seriesUnknown: '未知设备系列「{}」，应为 X、N 或 L',
  dayMissing: '缺少日期',
  dayInvalid: '日期「{}」无法识别',
  dayInFuture: '日期 {} 晚于今天',
  quantityMissing: '缺少用量',
  quantityNotANumber: '用量不是有效的数字',
  quantityNegative: '用量不能为负数',
  quantityTooManyDecimals: '用量小数位数不能超过 4 位',
  quantityOutOfRange: '用量超出允许范围',
} as const;
export type UsageMessageKey = keyof typeof USAGE_MESSAGES;

/** i18n keys of the messages for other languages live under `usage.rules.`. */
function problem(field: string, code: string, key: UsageMessageKey, value?: string): RuleError {
  const message = value === undefined ? USAGE_MESSAGES[key] : USAGE_MESSAGES[key].replace('{}', value);
  return value === undefined ? { field, code, key, message } : { field, code, key, message, params: { value } };
}

// ---- days (China Standard Time, as the server counts "today") ----------------------

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;
const pad = (n: number) => String(n).padStart(2, '0');

/** Today in China (UTC+8), `YYYY-MM-DD`. */
export function todayChina(now = Date.now()): string {
  const china = new Date(now + 8 * 3600 * 1000);
  return `${china.getUTCFullYear()}-${pad(china.getUTCMonth() + 1)}-${pad(china.getUTCDate())}`;
}

/** `day` moved by `delta` days (calendar arithmetic, no time zone involved). */
export function shiftDay(day: string, delta: number): string {
  const m = DAY.exec(day);
  if (!m) return day;
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + delta));
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** Yesterday in China: the day a collection usually fetches. */
export const yesterdayChina = (now = Date.now()) => shiftDay(todayChina(now), -1);

/** A real calendar day written `YYYY-MM-DD`. */
export function isDay(text: string): boolean {
  const m = DAY.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

// ---- one value ------------------------------------------------------------------------

/** A quantity as the entry form takes it: a plain decimal ≥ 0 with at most 4 decimals. */
export function checkQuantity(text: string, field = 'quantity'): RuleError | null {
  const trimmed = text.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'quantityMissing');
  const scaled = toScaled(trimmed);
  if (!scaled) return problem(field, 'NOT_A_NUMBER', 'quantityNotANumber');
  // "-0" is zero, not a negative quantity (quantity.rs).
  if (scaled.value < 0n) return problem(field, 'NEGATIVE', 'quantityNegative');
  const frac = trimmed.split('.')[1] ?? '';
  if (frac.replace(/0+$/, '').length > SCALE) return problem(field, 'TOO_MANY_DECIMALS', 'quantityTooManyDecimals');
  const units = (scaled.value * 10n ** BigInt(SCALE)) / 10n ** BigInt(scaled.scale);
  if (units > I64_MAX) return problem(field, 'OUT_OF_RANGE', 'quantityOutOfRange');
  return null;
}

export function checkSeries(text: string, field = 'series'): RuleError | null {
  const trimmed = text.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'seriesMissing');
  if (!(SERIES_ORDER as readonly string[]).includes(trimmed.toUpperCase())) return problem(field, 'UNKNOWN_SERIES', 'seriesUnknown', trimmed);
  return null;
}

/** A day: present, a real date, not after today in China. */
export function checkDay(text: string, field = 'day', today = todayChina()): RuleError | null {
  const trimmed = text.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'dayMissing');
  if (!isDay(trimmed)) return problem(field, 'INVALID_DAY', 'dayInvalid', trimmed);
  if (trimmed > today) return problem(field, 'DAY_OUT_OF_RANGE', 'dayInFuture', trimmed);
  return null;
}

// ---- the entry form -------------------------------------------------------------------

/** One record as the entry form holds it. */
export interface EntryDraft {
  customer_id: number | null;
  series: string;
  day: string;
  quantity: string;
}

/** The form's model, shaped like the request so the server's paths (`records[0].quantity`) fit. */
export interface EntryForm {
  records: EntryDraft[];
  reason: string;
}

export function emptyEntry(day = yesterdayChina()): EntryDraft {
  return { customer_id: null, series: '', day, quantity: '' };
}

/** Every problem of the form, at the request's paths. */
export function validateEntry(form: EntryForm, today = todayChina()): RuleError[] {
  const errors: RuleError[] = [];
  form.records.forEach((record, i) => {
    const at = (name: string) => `records[${i}].${name}`;
    if (record.customer_id === null) errors.push(problem(at('customer_id'), 'REQUIRED', 'customerMissing'));
    for (const e of [checkSeries(record.series, at('series')), checkDay(record.day, at('day'), today), checkQuantity(record.quantity, at('quantity'))]) {
      if (e) errors.push(e);
    }
  });
  return errors;
}

/** The request body: trimmed text, upper-case series, the form's own strictness. */
export function entryRequest(form: EntryForm) {
  const reason = form.reason.trim();
  return {
    records: form.records.map((r) => ({
      customer_id: r.customer_id ?? undefined,
      series: r.series.trim().toUpperCase(),
      day: r.day.trim(),
      quantity: r.quantity.trim(),
    })),
    ...(reason ? { reason } : {}),
    strict: true,
  };
}

/**
 * Where the form shows a server path: `records[0].account_id` is the customer picker too
 * (the form names customers by id, but the server may speak of the account).
 */
export function entryFieldOf(path: string): string {
  return path.replace(/^(records\[\d+\])\.account_id$/, '$1.customer_id');
}

// ---- sums -----------------------------------------------------------------------------

/** Σ of decimal strings, exactly; "0" for none. */
export function sumQuantities(values: readonly string[]): string {
  return normalizeDecimal(values.reduce((sum, v) => addDecimal(sum, v), '0'));
}

/** Each series' total over a chart's points ({X: [...], N: [...], L: [...]}). */
export function seriesTotals(series: Record<DeviceSeries, readonly string[]>): Record<DeviceSeries, string> {
  return { X: sumQuantities(series.X), N: sumQuantities(series.N), L: sumQuantities(series.L) };
}

/** A duration in ms as people read it: `412 ms`, `3.2 s`, `2 min 5 s`. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || ms < 0) return '—';
  if (ms < 1000) return `${ms} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  return `${minutes} min ${seconds} s`;
}
