import { onBeforeUnmount, ref } from 'vue';
import { listJobRuns } from '@/api/jobs';
import type { JobRunView } from '@/api/types';
import { POLL_MS, POLL_PAGE_SIZE } from './data';

/**
 * Follows the runs started on this page: every 2 s it reads the job's runs until the one
 * started is no longer `running`, then hands it to `finished`. One run per job at a
 * time; a look that fails is tried again at the next tick; everything stops when the
 * page goes away.
 */
export function useRunWatch(finished: (run: JobRunView) => void) {
  /** Job name → the id of the run being followed. */
  const watching = ref<Record<string, number>>({});
  const timers = new Map<string, ReturnType<typeof setInterval>>();

  function stop(job: string) {
    const timer = timers.get(job);
    if (timer !== undefined) clearInterval(timer);
    timers.delete(job);
    if (job in watching.value) {
      const rest = { ...watching.value };
      delete rest[job];
      watching.value = rest;
    }
  }

  function follow(run: JobRunView) {
    stop(run.job);
    if (run.status !== 'running') {
      finished(run);
      return;
    }
    watching.value = { ...watching.value, [run.job]: run.id };
    let busy = false;
    const timer = setInterval(async () => {
      if (busy) return;
      busy = true;
      try {
        const page = await listJobRuns(run.job, { page: 1, page_size: POLL_PAGE_SIZE }, { silent: true });
        const now = page.items.find((r) => r.id === run.id);
        if (now && now.status !== 'running' && timers.get(run.job) === timer) {
          stop(run.job);
          finished(now);
        }
      } catch {
        // Tried again at the next tick.
      } finally {
        busy = false;
      }
    }, POLL_MS);
    timers.set(run.job, timer);
  }

  onBeforeUnmount(() => {
    for (const job of [...timers.keys()]) stop(job);
  });

  return { watching, follow, stop };
}
