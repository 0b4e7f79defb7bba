/**
 * ECharts options of the analytics pages, built from the server's answers. Plotting
 * only: the decimal strings become JS numbers here and nowhere else (the figures beside
 * the charts show the strings as given). Each category carries what a click drills to
 * (a period, a bucket, a series) as its name, so the page can open the list behind it.
 *
 * Pure TypeScript: the labels come translated.
 */
import type { EChartsOption } from 'echarts';
import type { DashboardTrendPoint, DeviceSeries, OverdueBuckets, UsageTrendPoint } from '@/api/types';
import { toPlotNumber } from '@/utils/decimal';

/** Arco's palette: primary blue, cyan, orange, and red for what is late. */
export const COLORS = { primary: '#165dff', secondary: '#14c9c9', accent: '#ff7d00', danger: '#f53f3f' };
const SERIES_COLORS: Record<DeviceSeries, string> = { X: COLORS.primary, N: COLORS.secondary, L: COLORS.accent };
/** Days past due, in the order they age. */
export const BUCKET_ORDER = ['1-30', '31-60', '61-90', '90+'] as const satisfies readonly (keyof OverdueBuckets)[];
export const SERIES_ORDER: readonly DeviceSeries[] = ['X', 'N', 'L'];

const AXIS_LABEL = { fontSize: 10 };
const base = (): EChartsOption => ({
  animation: false,
  grid: { left: 64, right: 16, top: 36, bottom: 28 },
  tooltip: { trigger: 'axis' },
});

/** The 12-month trend: receivable and collected side by side per period (a click names the period). */
export function trendOption(points: readonly DashboardTrendPoint[], labels: { receivable: string; collected: string }): EChartsOption {
  return {
    ...base(),
    legend: { top: 0, itemWidth: 14, textStyle: { fontSize: 11 } },
    xAxis: { type: 'category', data: points.map((p) => p.period), axisLabel: AXIS_LABEL },
    yAxis: { type: 'value', axisLabel: AXIS_LABEL },
    series: [
      { type: 'bar', name: labels.receivable, data: points.map((p) => toPlotNumber(p.receivable)), itemStyle: { color: COLORS.primary }, barMaxWidth: 18 },
      { type: 'bar', name: labels.collected, data: points.map((p) => toPlotNumber(p.collected)), itemStyle: { color: COLORS.secondary }, barMaxWidth: 18 },
    ],
  };
}

/** The overdue amount by age, one bar per bucket, darker as it ages (a click names the bucket). */
export function agingOption(buckets: OverdueBuckets, label: (bucket: keyof OverdueBuckets) => string, name: string): EChartsOption {
  const shades = ['#fbaca3', '#f76965', '#f53f3f', '#cb2634'];
  return {
    ...base(),
    grid: { left: 64, right: 16, top: 16, bottom: 28 },
    xAxis: { type: 'category', data: BUCKET_ORDER.map((b) => label(b)), axisLabel: AXIS_LABEL },
    yAxis: { type: 'value', axisLabel: AXIS_LABEL },
    series: [
      {
        type: 'bar',
        name,
        barMaxWidth: 36,
        data: BUCKET_ORDER.map((b, i) => ({ value: toPlotNumber(buckets[b]), bucket: b, itemStyle: { color: shades[i] } })),
      },
    ],
  };
}

/** The period's usage per series as a ring (a click names the series). */
export function seriesOption(quantities: Record<DeviceSeries, string>, label: (series: DeviceSeries) => string): EChartsOption {
  return {
    animation: false,
    tooltip: { trigger: 'item' },
    legend: { bottom: 0, itemWidth: 14, textStyle: { fontSize: 11 } },
    series: [
      {
        type: 'pie',
        radius: ['45%', '70%'],
        center: ['50%', '45%'],
        label: { show: false },
        data: SERIES_ORDER.map((s) => ({ value: toPlotNumber(quantities[s]), name: label(s), series: s, itemStyle: { color: SERIES_COLORS[s] } })),
      },
    ],
  };
}

/** 用量趋势: the monthly quantity as a line, oldest first. */
export function usageTrendOption(points: readonly UsageTrendPoint[], name: string): EChartsOption {
  return {
    ...base(),
    grid: { left: 64, right: 16, top: 24, bottom: 28 },
    xAxis: { type: 'category', data: points.map((p) => p.period), axisLabel: AXIS_LABEL },
    yAxis: { type: 'value', axisLabel: AXIS_LABEL },
    series: [
      {
        type: 'line',
        name,
        data: points.map((p) => toPlotNumber(p.quantity)),
        smooth: true,
        showSymbol: points.length <= 12,
        itemStyle: { color: COLORS.primary },
        areaStyle: { color: 'rgba(22, 93, 255, 0.08)' },
      },
    ],
  };
}

/**
 * What a click on a chart's element stands for: the category's name (a period), or the
 * `bucket`/`series` an element's data carries. Null for clicks elsewhere.
 */
export function clickedKey(params: unknown, key: 'name' | 'bucket' | 'series' = 'name'): string | null {
  if (typeof params !== 'object' || params === null) return null;
  const { name, data } = params as { name?: unknown; data?: unknown };
  if (key === 'name') return typeof name === 'string' && name ? name : null;
  const value = typeof data === 'object' && data !== null ? (data as Record<string, unknown>)[key] : undefined;
  return typeof value === 'string' ? value : null;
}

/** True when every value is zero or there are none: the chart shows an empty state instead. */
export const allZero = (values: readonly string[]) => values.every((v) => toPlotNumber(v) === 0);
