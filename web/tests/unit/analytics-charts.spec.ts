import { describe, expect, it } from 'vitest';
import { agingOption, allZero, clickedKey, seriesOption, trendOption, usageTrendOption } from '@/views/analytics/charts';
import { parseTrendQuery, trendRequest } from '@/views/analytics/usage-trend/useUsageTrendPage';

type Series = { type: string; name?: string; data: unknown[] };
const seriesOf = (option: unknown) => (option as { series: Series[] }).series;
const categories = (option: unknown) => (option as { xAxis: { data: unknown[] } }).xAxis.data;

describe('chart options', () => {
  it('plots receivable and collected per period, the periods as categories', () => {
    const option = trendOption(
      [
        { period: '2026-10', receivable: '1000.50', collected: '800.00' },
        { period: '2026-11', receivable: '2000.00', collected: '0.00' },
      ],
      { receivable: '应收', collected: '已回款' },
    );
    expect(categories(option)).toEqual(['2026-10', '2026-11']);
    expect(seriesOf(option).map((s) => [s.type, s.name, s.data])).toEqual([
      ['bar', '应收', [1000.5, 2000]],
      ['bar', '已回款', [800, 0]],
    ]);
  });

  it('plots the overdue buckets in the order they age, each bar carrying its bucket', () => {
    const option = agingOption({ '90+': '4', '1-30': '1', '61-90': '3', '31-60': '2.5' }, (b) => `${b} 天`, '逾期');
    expect(categories(option)).toEqual(['1-30 天', '31-60 天', '61-90 天', '90+ 天']);
    const data = seriesOf(option)[0]!.data as { value: number; bucket: string }[];
    expect(data.map((d) => [d.bucket, d.value])).toEqual([['1-30', 1], ['31-60', 2.5], ['61-90', 3], ['90+', 4]]);
  });

  it('plots usage per series as a ring, each slice carrying its series', () => {
    const option = seriesOption({ X: '120.5', N: '30', L: '0' }, (s) => `${s} 系列`);
    const data = seriesOf(option)[0]!.data as { value: number; name: string; series: string }[];
    expect(data.map((d) => [d.series, d.name, d.value])).toEqual([['X', 'X 系列', 120.5], ['N', 'N 系列', 30], ['L', 'L 系列', 0]]);
  });

  it('plots a usage trend as one line, oldest first', () => {
    const option = usageTrendOption(
      [
        { period: '2026-10', quantity: '100', mom: null, yoy: null },
        { period: '2026-11', quantity: '150.25', mom: '0.5025', yoy: null },
      ],
      '全部系列',
    );
    expect(categories(option)).toEqual(['2026-10', '2026-11']);
    expect(seriesOf(option).map((s) => [s.type, s.name, s.data])).toEqual([['line', '全部系列', [100, 150.25]]]);
  });

  it('tells what a click stands for, and when there is nothing to draw', () => {
    expect(clickedKey({ name: '2026-11', data: 5 })).toBe('2026-11');
    expect(clickedKey({ name: '1-30 天', data: { value: 1, bucket: '1-30' } }, 'bucket')).toBe('1-30');
    expect(clickedKey({ name: 'X 系列', data: { value: 1, series: 'X' } }, 'series')).toBe('X');
    expect(clickedKey({ data: 5 }, 'series')).toBeNull();
    expect(clickedKey(null)).toBeNull();
    expect(allZero(['0', '0.00'])).toBe(true);
    expect(allZero(['0', '0.01'])).toBe(false);
    expect(allZero([])).toBe(true);
  });
});

describe('用量趋势 filters in the URL', () => {
  it('keeps what is well formed and defaults the span to 12 months', () => {
    expect(parseTrendQuery({ customer_id: '7', series: 'N', months: '24', period: '2026-10' })).toEqual({
      customer_id: '7',
      series: 'N',
      months: 24,
      period: '2026-10',
    });
    expect(parseTrendQuery({ customer_id: 'x', series: 'Q', months: '7', period: '2026-13' })).toEqual({
      customer_id: '',
      series: '',
      months: 12,
      period: '',
    });
  });

  it('asks only for what is set', () => {
    expect(trendRequest({ customer_id: '', series: '', months: 12, period: '' })).toEqual({ months: 12 });
    expect(trendRequest({ customer_id: '7', series: 'X', months: 6, period: '2026-10' })).toEqual({
      months: 6,
      customer_id: '7',
      series: 'X',
      period: '2026-10',
    });
  });
});
