/**
 * Words for pricing values: volume price cliffs, diff field paths, rule values.
 * Takes the i18n `t` so it stays a plain function (and testable without a component).
 */
import type { PriceCliff, PriceRule } from '@/api/types';
import { addDecimal, roundHalfUp } from './decimal';
import { parseFieldPath } from './pricing-rules';

type Translate = (key: string, values?: Record<string, unknown>) => string;

/** The smallest step of usage: four decimals (cliff.rs USAGE_STEP). */
export const USAGE_STEP = '0.0001';

export interface CliffFacts {
  boundary: string;
  /** Cost at the boundary, rounded to cents. */
  atBoundary: string;
  /** The first usage above the boundary: boundary + 0.0001. */
  justAbove: string;
  /** Cost there, rounded to cents. */
  amountAbove: string;
  /** Where more usage costs as much as the boundary again; null: never. */
  breakEven: string | null;
}

/** A cliff as the warning states it; exact strings, rounded half-up only for display. */
export function cliffFacts(cliff: PriceCliff): CliffFacts {
  return {
    boundary: cliff.boundary,
    atBoundary: roundHalfUp(cliff.amount_at_boundary, 2),
    justAbove: addDecimal(cliff.boundary, USAGE_STEP),
    amountAbove: roundHalfUp(cliff.amount_just_above, 2),
    breakEven: cliff.break_even,
  };
}

/**
 * 「用量超过 1000 后总价反而下降：1000 时 500.00，1000.0001 时 400.00，用量在 (1000, 1250)
 * 区间内比 1000 时更便宜」
 */
export function cliffMessage(cliff: PriceCliff, t: Translate): string {
  const facts = cliffFacts(cliff);
  return facts.breakEven === null ? t('pricing.cliff.messageOpen', { ...facts }) : t('pricing.cliff.message', { ...facts });
}

/** `rules.N.tiers[1].unit_price` → 「N 系列 · 第 2 档 · 单价」. */
export function fieldLabel(path: string, t: Translate, te: (key: string) => boolean): string {
  const parsed = parseFieldPath(path);
  const prop = te(`pricing.props.${parsed.prop}`) ? t(`pricing.props.${parsed.prop}`) : parsed.prop;
  if (!parsed.series) return prop;
  const parts = [t('pricing.seriesName', { series: parsed.series })];
  if (parsed.tier !== undefined) parts.push(t('pricing.tierName', { n: parsed.tier + 1 }));
  parts.push(prop);
  return parts.join(' · ');
}

/** A rule in one line: 「多层定价：≤1000 @0.5；≤5000 @0.4；以上 @0.3」. */
export function ruleSummary(rule: PriceRule, t: Translate): string {
  const mode = t(`pricing.modes.${rule.mode}`);
  if (rule.mode === 'flat') return `${mode}：${t('pricing.summary.flat', { price: rule.unit_price })}`;
  const tiers = rule.tiers.map((tier) => tierText(tier, t));
  return `${mode}：${tiers.join(t('pricing.summary.joiner'))}`;
}

function isRule(value: unknown): value is PriceRule {
  return typeof value === 'object' && value !== null && 'mode' in value;
}

function tierText(tier: { up_to?: string | null; unit_price?: string }, t: Translate): string {
  return tier.up_to ? t('pricing.summary.upTo', { upTo: tier.up_to, price: tier.unit_price }) : t('pricing.summary.above', { price: tier.unit_price });
}

/** A diff value for people: modes by name, tiers summarized, an open bound as 「无上限」, absent as 「—」. */
export function diffValue(path: string, value: unknown, t: Translate): string {
  const { prop } = parseFieldPath(path);
  // On a bound, null is the unbounded last tier, not an absent part.
  if (prop === 'up_to' && value === null) return t('pricing.unbounded');
  if (value === null || value === undefined || value === '') return '—';
  if (prop === 'mode' && typeof value === 'string') return t(`pricing.modes.${value}`);
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  if (isRule(value)) return ruleSummary(value, t);
  if (Array.isArray(value)) return value.map((tier: { up_to?: string | null; unit_price?: string }) => tierText(tier, t)).join(t('pricing.summary.joiner'));
  if (typeof value === 'object' && 'unit_price' in value) return tierText(value as { up_to?: string | null; unit_price?: string }, t);
  return JSON.stringify(value);
}
