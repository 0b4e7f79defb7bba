/**
 * What the analytics pages (经营看板, 客户分层, 流失预警, 信用评分, 用量趋势) need beyond
 * the server's answers: rates as people read them, and the lists behind each figure.
 * Rates come as 4-place decimal strings ("0.8125") or null (DESIGN.md §9); they are
 * turned into percentages exactly, on the text, never through a JS number.
 *
 * Pure TypeScript, no Vue.
 */
import type { LocationQueryRaw } from 'vue-router';
import { multiplyDecimal, normalizeDecimal, roundHalfUp, toScaled } from './decimal';

/** A period `YYYY-MM`. */
const PERIOD = /^(\d{4})-(\d{2})$/;

/**
 * "0.8125" → "81.25%", "0.8000" → "80.0%", "1" → "100.0%": the rate × 100 with one or
 * two decimals (half-up past two), exact; `—` when there is no rate (nothing to divide by).
 */
export function formatRate(rate: string | null | undefined): string {
  const percent = ratePercent(rate);
  return percent === null ? '—' : `${percent}%`;
}

/** A growth rate with its sign: "0.1250" → "+12.5%", "-0.3" → "-30.0%", "0" → "0.0%"; `—` without one. */
export function formatGrowth(rate: string | null | undefined): string {
  const percent = ratePercent(rate);
  if (percent === null) return '—';
  const scaled = toScaled(percent);
  return `${scaled && scaled.value > 0n ? '+' : ''}${percent}%`;
}

/** The rate as a percentage's text with one or two decimals, or null when absent or malformed. */
function ratePercent(rate: string | null | undefined): string | null {
  if (rate == null || toScaled(rate) === null) return null;
  const rounded = roundHalfUp(multiplyDecimal(rate.trim(), '100'), 2);
  // "81.20" → "81.2"; one decimal always stays ("80.0").
  const trimmed = rounded.endsWith('0') ? rounded.slice(0, -1) : rounded;
  return trimmed === '-0.0' ? '0.0' : trimmed;
}

/** -1, 0 or 1: the sign of a rate, to colour it (a fall red, a rise green); 0 without one. */
export function rateSign(rate: string | null | undefined): -1 | 0 | 1 {
  const scaled = rate == null ? null : toScaled(rate);
  if (!scaled || scaled.value === 0n) return 0;
  return scaled.value > 0n ? 1 : -1;
}

/** The first and last day of a period: "2026-02" → 2026-02-01 … 2026-02-28. */
export function monthBounds(period: string): { first: string; last: string } | null {
  const m = PERIOD.exec(period);
  if (!m) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (month < 1 || month > 12) return null;
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return { first: `${period}-01`, last: `${period}-${String(days).padStart(2, '0')}` };
}

// ---- drill-downs: the list behind each figure ------------------------------------------------
//
// The lists read their filters from the URL query (bills/data.ts, payments/data.ts,
// customers/data.ts, usage/data.ts, payments/aging/data.ts): these are their names.

export interface Drill {
  path: string;
  query: LocationQueryRaw;
}

/** The statuses of the bills that make a period's receivable (issued, not draft, not void). */
export const RECEIVABLE_STATUSES = 'issued,partially_paid,paid';
/** The receivable bills that still owe something. */
export const OPEN_STATUSES = 'issued,partially_paid';

export type DashboardFigure = 'receivable' | 'collected' | 'outstanding' | 'received' | 'overdue' | 'new_customers' | 'usage';

/**
 * The list a dashboard figure of `period` drills down to: 应收/已回款 → the period's issued
 * bills (their totals row sums the figure), 未回款 → those still open, 实收 → the receipts
 * dated in the month, 逾期 → the overdue bills, 新增客户 → customers signed in the month,
 * usage → the month's usage (of one series when given). Null for a malformed period.
 */
export function drillDown(figure: DashboardFigure, period: string, series?: string): Drill | null {
  const bounds = monthBounds(period);
  if (!bounds) return null;
  switch (figure) {
    case 'receivable':
    case 'collected':
      return { path: '/bills', query: { period, status: RECEIVABLE_STATUSES } };
    case 'outstanding':
      return { path: '/bills', query: { period, status: OPEN_STATUSES } };
    case 'received':
      return { path: '/payments', query: { from: bounds.first, to: bounds.last } };
    case 'overdue':
      return { path: '/bills', query: { overdue: 'true' } };
    case 'new_customers':
      return { path: '/customers', query: { signed_from: bounds.first, signed_to: bounds.last } };
    case 'usage':
      return { path: '/usage/records', query: series ? { month: period, series } : { month: period } };
  }
}

/** An aging bucket of the overdue → 账龄分析 on the day the dashboard counted it, overdue customers only. */
export const agingDrill = (asOf: string): Drill => ({ path: '/receivables/aging', query: { as_of: asOf, overdue_only: 'true' } });

/** A customer's own page, on a tab when given (`bills`, `credit`…). */
export const customerDrill = (id: number, tab?: string): Drill => ({ path: `/customers/${id}`, query: tab ? { tab } : {} });

// ---- codes the server sends in Chinese, and their words in the locale ------------------------

/** 增长/稳定/下滑/新增 → their i18n keys under `analytics.trend.`. */
export const TREND_KEYS = { 增长: 'up', 稳定: 'flat', 下滑: 'down', 新增: 'new' } as const;
/** Arco tag colours: a rise green, a fall red, new customers blue. */
export const TREND_COLORS = { 增长: 'green', 稳定: 'gray', 下滑: 'red', 新增: 'arcoblue' } as const;
/** 优/良/中/差/资料不足 → their i18n keys under `analytics.grade.`. */
export const GRADE_KEYS = { 优: 'excellent', 良: 'good', 中: 'fair', 差: 'poor', 资料不足: 'insufficient' } as const;
export const GRADE_COLORS = { 优: 'green', 良: 'arcoblue', 中: 'orange', 差: 'red', 资料不足: 'gray' } as const;
export const TIERS = ['A', 'B', 'C'] as const;
export const TIER_COLORS = { A: 'orangered', B: 'arcoblue', C: 'gray' } as const;
export const TRENDS = Object.keys(TREND_KEYS) as (keyof typeof TREND_KEYS)[];
export const GRADES = Object.keys(GRADE_KEYS) as (keyof typeof GRADE_KEYS)[];
export const RISKS = ['high', 'medium'] as const;

/** A code's i18n key, or the code itself when the server sends one this page does not know. */
export const codeKey = (keys: Record<string, string>, code: string) => (Object.hasOwn(keys, code) ? keys[code]! : code);

// ---- the credit score's factors ---------------------------------------------------------------

/** Days as a 4-place decimal ("12.5000") → "12.5": one decimal at most, half-up; `—` without. */
export function formatDays(text: string | null | undefined): string {
  if (text == null || toScaled(text) === null) return '—';
  return normalizeDecimal(roundHalfUp(text, 1));
}

/** A ratio ("0.2500", capped at 3 by the server) → "0.25": two decimals at most; `—` without. */
export function formatRatio(text: string | null | undefined): string {
  if (text == null || toScaled(text) === null) return '—';
  return normalizeDecimal(roundHalfUp(text, 2));
}
