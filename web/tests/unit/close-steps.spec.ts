import { describe, expect, it } from 'vitest';
import type { CloseOverview } from '@/api/types';
import { dayRanges, missingRange, stepLink, stepRows } from '@/views/workplace/closeSteps';

describe('the month close cockpit', () => {
  it('writes missing days as short ranges', () => {
    expect(dayRanges([])).toEqual([]);
    expect(dayRanges(['2026-11-03'])).toEqual(['11-03']);
    expect(dayRanges(['2026-11-03', '2026-11-05', '2026-11-06', '2026-11-07', '2026-11-30'])).toEqual([
      '11-03',
      '11-05～11-07',
      '11-30',
    ]);
    // Across a month end the days are still consecutive.
    expect(dayRanges(['2026-02-27', '2026-02-28', '2026-03-01'])).toEqual(['02-27～03-01']);
  });

  it('marks done steps and the one the month is at', () => {
    const overview = {
      period: '2026-11',
      next_step: 'issue',
      steps: [
        { step: 'collect', open: 0 },
        { step: 'issue', open: 12 },
        { step: 'chase_overdue', open: 3 },
      ],
    } as unknown as CloseOverview;
    expect(stepRows(overview)).toEqual([
      { step: 'collect', open: 0, done: true, current: false },
      { step: 'issue', open: 12, done: false, current: true },
      { step: 'chase_overdue', open: 3, done: false, current: false },
    ]);
  });

  it('links each step to where it is worked, for the period', () => {
    expect(stepLink('issue', '2026-11')).toEqual({ path: '/bills/generate', query: { period: '2026-11', has_warnings: 'false' } });
    expect(stepLink('review_warnings', '2026-11').query).toEqual({ period: '2026-11', has_warnings: 'true' });
    expect(stepLink('allocate', '2026-11')).toEqual({ path: '/payments', query: { status: 'unapplied,partially_applied' } });
    expect(stepLink('chase_overdue', '2026-11').path).toBe('/receivables/aging');
  });
});

describe('the backfill range of the cockpit', () => {
  it('spans the missing days of every source', () => {
    const overview = (sources: string[][]) =>
      ({ usage: { sources: sources.map((missing_days, i) => ({ source: `s${i}`, collected_days: 0, missing_days, failed_days: [] })) } }) as unknown as CloseOverview;
    expect(missingRange(overview([]))).toBeUndefined();
    expect(missingRange(overview([[], []]))).toBeUndefined();
    expect(missingRange(overview([['2026-11-05', '2026-11-09'], ['2026-11-02']]))).toEqual(['2026-11-02', '2026-11-09']);
  });
});
