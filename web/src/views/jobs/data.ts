import i18n from '@/locale';
import type { JobRunStatus, JobRunTrigger, JobView } from '@/api/types';
import { formatDate } from '@/utils/format';

export const RUN_STATUSES: readonly JobRunStatus[] = ['running', 'succeeded', 'failed'];
export const STATUS_COLORS: Record<JobRunStatus, string> = { running: 'arcoblue', succeeded: 'green', failed: 'red' };
export const TRIGGERS: readonly JobRunTrigger[] = ['schedule', 'catch_up', 'retry', 'takeover', 'manual'];

/** What the table (wide screens) and the cards (phones) show the jobs with. */
export interface JobListProps {
  jobs: readonly JobView[];
  loading: boolean;
  canManage: boolean;
  /** Runs this page started and follows, by job name. */
  watching: Record<string, number>;
  toggle: (job: JobView, paused: boolean) => Promise<boolean>;
}

/** How often a run started here is looked at until it finishes. */
export const POLL_MS = 2000;
/** Runs read per look: the newest periods first, so a rerun of an old period is still found. */
export const POLL_PAGE_SIZE = 200;

/** A run's count in words (`inserted` → 新增); a key the page does not know, as it is. */
export function countLabel(key: string): string {
  const path = `jobs.counts.${key}`;
  return i18n.global.te(path) ? i18n.global.t(path) : key;
}

/** The counts in the server's order, each with its label. */
export const countEntries = (counts: Record<string, number>) =>
  Object.entries(counts).map(([key, value]) => ({ key, label: countLabel(key), value }));

/**
 * The picker's bound: a day or a month later than the latest period the schedule has
 * reached cannot be run (the server answers 400 FUTURE_PERIOD).
 */
export function laterThanLatest(job: Pick<JobView, 'cadence' | 'latest_period'>) {
  return (d?: Date) => {
    if (!d) return false;
    const value = job.cadence === 'monthly' ? formatDate(d).slice(0, 7) : formatDate(d);
    return value > job.latest_period;
  };
}
