/**
 * Points for the "amount vs usage" chart of one series: what the three modes would
 * charge for the tiers on screen. Plotting only: these are JS numbers and the chart says
 * it is indicative; the quote from the server is the amount that counts.
 */
import type { PricingMode } from '@/api/types';
import { toPlotNumber } from '@/utils/decimal';
import { checkDecimal, checkUsage, validateRule, type RuleDraft } from '@/utils/pricing-rules';

export interface ChartLine {
  mode: PricingMode;
  /** The flat line's unit price (the flat price typed, else the first tier's). */
  price?: string;
  points: [number, number][];
}

interface Tier {
  upTo: number | null;
  price: number;
}

function graduated(tiers: Tier[], q: number): number {
  let amount = 0;
  let lower = 0;
  for (const tier of tiers) {
    const upper = tier.upTo ?? Infinity;
    if (q <= lower) break;
    amount += (Math.min(q, upper) - lower) * tier.price;
    lower = upper;
  }
  return amount;
}

function volume(tiers: Tier[], q: number): number {
  const tier = tiers.find((t) => t.upTo === null || q <= t.upTo) ?? tiers[tiers.length - 1];
  return tier ? q * tier.price : 0;
}

const round = (n: number) => Math.round(n * 10000) / 10000;

/** The chart's lines; empty when nothing on screen can be drawn yet. */
export function chartLines(draft: RuleDraft, usage = ''): ChartLine[] {
  const tiersUsable = validateRule({ ...draft, mode: 'graduated' }, 'chart').length === 0;
  const tiers: Tier[] = tiersUsable
    ? draft.tiers.map((t, i) => ({
        upTo: i === draft.tiers.length - 1 ? null : toPlotNumber(t.up_to),
        price: toPlotNumber(t.unit_price),
      }))
    : [];
  const flatText = !checkDecimal(draft.unit_price, 'unit_price', 'unitPrice')
    ? draft.unit_price.trim()
    : tiersUsable
      ? (draft.tiers[0]?.unit_price.trim() ?? '')
      : '';

  const bounds = tiers.flatMap((t) => (t.upTo === null ? [] : [t.upTo]));
  const lastBound = bounds.length ? Math.max(...bounds) : 0;
  const typed = usage.trim() && !checkUsage(usage) ? toPlotNumber(usage) : 0;
  let max = lastBound > 0 ? lastBound * 1.5 : 1000;
  if (typed > 0) max = Math.max(max, typed * 1.1);
  const step = max * 1e-6;

  const lines: ChartLine[] = [];
  if (flatText) {
    const price = toPlotNumber(flatText);
    lines.push({ mode: 'flat', price: flatText, points: [[0, 0], [round(max), round(max * price)]] });
  }
  if (tiers.length) {
    const xs = [0, ...bounds, max];
    lines.push({ mode: 'graduated', points: xs.map((x) => [round(x), round(graduated(tiers, x))]) });
    const volumeXs = [0, ...bounds.flatMap((b) => [b, b + step]), max];
    lines.push({ mode: 'volume', points: volumeXs.map((x) => [round(x), round(volume(tiers, x))]) });
  }
  return lines;
}
