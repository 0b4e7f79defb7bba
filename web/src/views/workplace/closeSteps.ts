import type { CloseOverview, CloseStep } from '@/api/types';

/** Where each step of the month close is worked, for the period being closed. */
export function stepLink(step: Exclude<CloseStep, 'done'>, period: string): { path: string; query?: Record<string, string> } {
  switch (step) {
    case 'collect':
      return { path: '/usage/collections' };
    case 'quarantine':
      return { path: '/usage/quarantine', query: { status: 'pending' } };
    // Generation, review and issue share one workbench: 账单生成 with the period's drafts.
    case 'generate':
      return { path: '/bills/generate', query: { period } };
    case 'review_warnings':
      return { path: '/bills/generate', query: { period, has_warnings: 'true' } };
    case 'issue':
      return { path: '/bills/generate', query: { period, has_warnings: 'false' } };
    case 'allocate':
      return { path: '/payments', query: { status: 'unapplied,partially_applied' } };
    case 'chase_overdue':
      return { path: '/receivables/aging', query: { overdue_only: 'true' } };
  }
}

/** A step as the cockpit shows it: open work, or done. */
export interface StepRow {
  step: Exclude<CloseStep, 'done'>;
  open: number;
  done: boolean;
  /** The step the month is at: the first with open work. */
  current: boolean;
}

export function stepRows(overview: CloseOverview): StepRow[] {
  // `done` is never one of the steps (it is only ever `next_step`).
  return overview.steps.flatMap(({ step, open }) =>
    step === 'done' ? [] : [{ step, open, done: open === 0, current: step === overview.next_step }],
  );
}

/**
 * Missing days as short ranges for display: 11-03, 11-05～11-09.
 * Input is sorted `YYYY-MM-DD`.
 */
export function dayRanges(days: readonly string[]): string[] {
  const ranges: string[] = [];
  let start: string | undefined;
  let prev: string | undefined;
  const next = (d: string) => {
    const t = new Date(`${d}T00:00:00Z`);
    t.setUTCDate(t.getUTCDate() + 1);
    return t.toISOString().slice(0, 10);
  };
  const flush = () => {
    if (!start || !prev) return;
    ranges.push(start === prev ? start.slice(5) : `${start.slice(5)}～${prev.slice(5)}`);
  };
  for (const day of days) {
    if (prev && next(prev) === day) {
      prev = day;
      continue;
    }
    flush();
    start = day;
    prev = day;
  }
  flush();
  return ranges;
}

/** The first and last day missing from any source: the range a backfill collects. */
export function missingRange(overview: CloseOverview): [string, string] | undefined {
  const days = overview.usage.sources.flatMap((s) => s.missing_days).sort();
  const [first] = days;
  const last = days[days.length - 1];
  return first && last ? [first, last] : undefined;
}
