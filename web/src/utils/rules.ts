/**
 * What every rules file (customer-rules, pricing-rules, bill-rules, payment-rules,
 * usage-rules) is made of: a problem found before anything is sent, in the server's own
 * words, and the checks the server runs the same way for different fields — a decimal as
 * raw.rs reads it, an amount of money in whole cents, a written reason. Each rules file
 * keeps its own messages (copied from the Rust code, which a Rust test checks) and names.
 *
 * Pure TypeScript, no Vue.
 */
import { compareDecimal, toScaled } from './decimal';
import { AMOUNT_MAX, AMOUNT_SCALE } from './money';

/**
 * One problem: the field, the server's stable code and Chinese message, and an i18n key
 * (under `<area>.rules.`) with its values for other languages.
 */
export interface RuleError {
  field: string;
  code: string;
  message: string;
  key: string;
  params?: Record<string, string | number>;
}

/** Fills `{}` / `{name}` placeholders in order, like Rust's `format!`. */
export function fill(template: string, ...values: (string | number)[]): string {
  let index = 0;
  return template.replace(/\{\w*\}/g, (slot) => (index < values.length ? String(values[index++]) : slot));
}

/** `problem(field, code, key, params, values)`: the message `key` of `messages`, filled with `values`. */
export function problemMaker<K extends string>(messages: Record<K, string>) {
  return (field: string, code: string, key: K, params: Record<string, string | number> = {}, values: (string | number)[] = []): RuleError => ({
    field,
    code,
    key,
    params,
    message: fill(messages[key], ...values),
  });
}

/** The messages every decimal field shares (raw.rs `decimal_field`), filled with the field's name. */
export type DecimalKey = 'required' | 'notANumber' | 'tooManyDecimals' | 'outOfRange';

/** A field's place in the messages: its path, the i18n name of its label, and the server's Chinese name. */
export interface FieldLabel {
  field: string;
  label: string;
  name: string;
}

/** Prices, bounds, usage and amounts are stored with four decimals (DESIGN.md §2), in an i64. */
export const SCALE = 4;
export const I64_MAX = 9223372036854775807n;

/** A decimal as the server read it: its exact value, its significant decimals, and its i64 of 0.0001 units. */
export interface ReadDecimal {
  trimmed: string;
  value: bigint;
  decimals: number;
  units: bigint;
}

/**
 * raw.rs `decimal_field`, in the server's order: present, a plain decimal, at most four
 * decimals (trailing zeros do not count), within the stored range. The problem comes back
 * as `error`; what the caller checks next (the sign, cents…) it checks on `read`.
 */
export function readDecimalField(
  text: string,
  at: FieldLabel,
  problem: (field: string, code: string, key: DecimalKey, params?: Record<string, string | number>, values?: (string | number)[]) => RuleError,
): { error: RuleError; read?: undefined } | { error?: undefined; read: ReadDecimal } {
  const { field, label, name } = at;
  const trimmed = text.trim();
  if (trimmed === '') return { error: problem(field, 'REQUIRED', 'required', { label }, [name]) };
  const scaled = toScaled(trimmed);
  if (!scaled) return { error: problem(field, 'NOT_A_NUMBER', 'notANumber', { label }, [name]) };
  const decimals = (trimmed.split('.')[1] ?? '').replace(/0+$/, '').length;
  if (decimals > SCALE) return { error: problem(field, 'TOO_MANY_DECIMALS', 'tooManyDecimals', { label, max: SCALE }, [name, SCALE]) };
  const units = (scaled.value * 10n ** BigInt(SCALE)) / 10n ** BigInt(scaled.scale);
  if (units > I64_MAX || -units > I64_MAX + 1n) return { error: problem(field, 'OUT_OF_RANGE', 'outOfRange', { label }, [name]) };
  return { read: { trimmed, value: scaled.value, decimals, units } };
}

/** An amount of money, checked last as the server does: whole cents, at most 999,999,999,999.99. */
export function checkCents(
  read: ReadDecimal,
  at: FieldLabel,
  problem: (field: string, code: string, key: DecimalKey, params?: Record<string, string | number>, values?: (string | number)[]) => RuleError,
): RuleError | null {
  const { field, label, name } = at;
  if (read.decimals > AMOUNT_SCALE) return problem(field, 'TOO_MANY_DECIMALS', 'tooManyDecimals', { label, max: AMOUNT_SCALE }, [name, AMOUNT_SCALE]);
  if (compareDecimal(read.trimmed, AMOUNT_MAX) > 0) return problem(field, 'OUT_OF_RANGE', 'outOfRange', { label }, [name]);
  return null;
}

/** A written reason (lines.rs `validate_reason`): present, at most `max` characters once trimmed. */
export function checkReasonText(
  text: string,
  at: FieldLabel,
  max: number,
  problem: (field: string, code: string, key: 'required' | 'reasonTooLong', params?: Record<string, string | number>, values?: (string | number)[]) => RuleError,
): RuleError | null {
  const { field, label, name } = at;
  const trimmed = text.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'required', { label }, [name]);
  if (Array.from(trimmed).length > max) return problem(field, 'TOO_LONG', 'reasonTooLong', { label, max }, [name, max]);
  return null;
}
