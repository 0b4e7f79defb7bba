/**
 * Money as the server speaks it: exact decimal strings ("1234.5"), never a JS number
 * (DESIGN.md §2). Amounts are whole cents, at most 999,999,999,999.99 (money.rs
 * MAX_AMOUNT); people read them with thousands grouped (Money.vue shows the same).
 *
 * Pure TypeScript, no Vue.
 */
import { compareDecimal, fromScaled, groupThousands, roundHalfUp, toScaled } from './decimal';

/** Amounts are whole cents. */
export const AMOUNT_SCALE = 2;
/** money.rs MAX_AMOUNT: the largest amount of money one value may hold (a payment, a bill, a minimum charge). */
export const AMOUNT_MAX = '999999999999.99';

/** "10.5" → "10.50": an amount as the server writes it back (rounded half-up to cents). */
export const toCents = (text: string) => roundHalfUp(text.trim(), AMOUNT_SCALE);

/** A computed amount shown with at least two decimals: "12.3" → "12.30", "1.005" stays. */
export function atLeastCents(text: string): string {
  const scaled = toScaled(text);
  if (!scaled || scaled.scale >= AMOUNT_SCALE) return text;
  return fromScaled({ value: scaled.value * 10n ** BigInt(AMOUNT_SCALE - scaled.scale), scale: AMOUNT_SCALE });
}

/**
 * An amount as people read it in toasts, hints and totals: thousands grouped, the decimals
 * as the server wrote them (`1234567.5` stays exact: `1,234,567.5`); `—` when missing.
 */
export function formatMoney(value: string | null | undefined): string {
  if (value == null || value === '') return '—';
  return groupThousands(value);
}

/** A count as people read it: `12345` → `12,345`. */
export const formatCount = (count: number) => groupThousands(String(count));

/** Some money (> 0): overdue amounts turn red once there is some. False for text that is not a decimal. */
export function isPositive(text: unknown): boolean {
  return typeof text === 'string' && toScaled(text) !== null && compareDecimal(text, '0') > 0;
}
