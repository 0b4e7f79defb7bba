import { describe, expect, it } from 'vitest';
import {
  agingDrill,
  codeKey,
  customerDrill,
  drillDown,
  formatDays,
  formatGrowth,
  formatRate,
  formatRatio,
  GRADE_KEYS,
  monthBounds,
  rateSign,
  TREND_KEYS,
} from '@/utils/analytics';
import { factorText } from '@/views/analytics/credit/factors';

describe('rates as people read them', () => {
  it('shows a 4-place rate as a percentage with one or two decimals, exactly', () => {
    expect(formatRate('0.8125')).toBe('81.25%');
    expect(formatRate('0.8120')).toBe('81.2%');
    expect(formatRate('0.8000')).toBe('80.0%');
    expect(formatRate('1.0000')).toBe('100.0%');
    expect(formatRate('0.0001')).toBe('0.01%');
    expect(formatRate('0')).toBe('0.0%');
    // More places than four are rounded half-up at two decimals of the percentage.
    expect(formatRate('0.33335')).toBe('33.34%');
    expect(formatRate('0.333349')).toBe('33.33%');
  });

  it('shows a dash when there is nothing to divide by, or no rate at all', () => {
    expect(formatRate(null)).toBe('—');
    expect(formatRate(undefined)).toBe('—');
    expect(formatRate('n/a')).toBe('—');
  });

  it('signs a growth rate and colours it by its sign', () => {
    expect(formatGrowth('0.1250')).toBe('+12.5%');
    expect(formatGrowth('-0.3000')).toBe('-30.0%');
    expect(formatGrowth('0.0000')).toBe('0.0%');
    expect(formatGrowth(null)).toBe('—');
    expect([rateSign('0.1'), rateSign('-0.0001'), rateSign('0.0000'), rateSign(null)]).toEqual([1, -1, 0, 0]);
  });

  it('reads the credit factors in their units: days and multiples to their places, half-up', () => {
    expect(formatDays('12.5000')).toBe('12.5');
    expect(formatDays('12.4500')).toBe('12.5');
    expect(formatDays('0.0000')).toBe('0');
    expect(formatDays(null)).toBe('—');
    expect(formatRatio('0.2500')).toBe('0.25');
    expect(formatRatio('3.0000')).toBe('3');
    expect(formatRatio('0.1250')).toBe('0.13');
    const factors = { on_time: '0.7500', late_days: '12.5000', overdue_ratio: '0.2500', tenure_months: 18 };
    expect(factorText(factors, 'on_time')).toEqual({ value: '75.0%', unit: null });
    expect(factorText(factors, 'late_days')).toEqual({ value: '12.5', unit: 'analytics.credit.unit.days' });
    expect(factorText(factors, 'overdue_ratio')).toEqual({ value: '0.25', unit: 'analytics.credit.unit.times' });
    expect(factorText(factors, 'tenure_months')).toEqual({ value: '18', unit: 'analytics.credit.unit.months' });
    const none = { on_time: null, late_days: null, overdue_ratio: null, tenure_months: 3 };
    expect(factorText(none, 'late_days')).toEqual({ value: '—', unit: null });
  });

  it('knows the server’s Chinese codes, and passes an unknown one through', () => {
    expect(codeKey(TREND_KEYS, '下滑')).toBe('down');
    expect(codeKey(GRADE_KEYS, '资料不足')).toBe('insufficient');
    expect(codeKey(GRADE_KEYS, '未知')).toBe('未知');
  });
});

describe('the list behind each figure', () => {
  it('bounds a month, leap years included', () => {
    expect(monthBounds('2026-11')).toEqual({ first: '2026-11-01', last: '2026-11-30' });
    expect(monthBounds('2028-02')).toEqual({ first: '2028-02-01', last: '2028-02-29' });
    expect(monthBounds('2026-12')).toEqual({ first: '2026-12-01', last: '2026-12-31' });
    expect(monthBounds('2026-13')).toBeNull();
    expect(monthBounds('')).toBeNull();
  });

  it('opens the period’s issued bills for 应收 and 已回款, the open ones for 未回款', () => {
    const issued = { path: '/bills', query: { period: '2026-11', status: 'issued,partially_paid,paid' } };
    expect(drillDown('receivable', '2026-11')).toEqual(issued);
    expect(drillDown('collected', '2026-11')).toEqual(issued);
    expect(drillDown('outstanding', '2026-11')).toEqual({ path: '/bills', query: { period: '2026-11', status: 'issued,partially_paid' } });
  });

  it('opens the month’s receipts for 实收, the overdue bills, the customers signed in the month, the month’s usage', () => {
    expect(drillDown('received', '2026-02')).toEqual({ path: '/payments', query: { from: '2026-02-01', to: '2026-02-28' } });
    expect(drillDown('overdue', '2026-02')).toEqual({ path: '/bills', query: { overdue: 'true' } });
    expect(drillDown('new_customers', '2026-11')).toEqual({ path: '/customers', query: { signed_from: '2026-11-01', signed_to: '2026-11-30' } });
    expect(drillDown('usage', '2026-11')).toEqual({ path: '/usage/records', query: { month: '2026-11' } });
    expect(drillDown('usage', '2026-11', 'N')).toEqual({ path: '/usage/records', query: { month: '2026-11', series: 'N' } });
    expect(drillDown('receivable', 'bad')).toBeNull();
  });

  it('opens 账龄分析 on the dashboard’s day for a bucket, and a customer on a tab', () => {
    expect(agingDrill('2026-12-06')).toEqual({ path: '/receivables/aging', query: { as_of: '2026-12-06', overdue_only: 'true' } });
    expect(customerDrill(7)).toEqual({ path: '/customers/7', query: {} });
    expect(customerDrill(7, 'credit')).toEqual({ path: '/customers/7', query: { tab: 'credit' } });
  });
});
