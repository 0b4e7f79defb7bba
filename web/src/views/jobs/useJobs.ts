import { ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message } from '@arco-design/web-vue';
import { listJobs, updateJob } from '@/api/jobs';
import type { JobRunView, JobView } from '@/api/types';
import { isApiError } from '@/api/http';
import { useRunWatch } from './useRunWatch';

/**
 * The 定时任务 page's state: the jobs (`GET /jobs`), pausing and resuming one, and the
 * runs started here followed until they finish, after which the list is read again and
 * `refreshKey` tells the history to reload.
 */
export function useJobs() {
  const { t } = useI18n();
  const jobs = shallowRef<JobView[]>([]);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const refreshKey = ref(0);

  async function load() {
    loading.value = true;
    try {
      jobs.value = await listJobs({ silent: true });
      error.value = null;
    } catch (failure) {
      error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
  }

  const replace = (next: JobView) => (jobs.value = jobs.value.map((j) => (j.name === next.name ? next : j)));
  const titleOf = (name: string) => jobs.value.find((j) => j.name === name)?.title ?? name;

  /** Pauses or resumes; true once the server has done it (the switch turns then). */
  async function setPaused(job: JobView, paused: boolean): Promise<boolean> {
    try {
      replace(await updateJob(job.name, { paused }));
      Message.success(t(paused ? 'jobs.pausedDone' : 'jobs.resumedDone', { title: job.title }));
      return true;
    } catch {
      // The client has shown the server's message.
      return false;
    }
  }

  const watch = useRunWatch((run: JobRunView) => {
    const values = { title: titleOf(run.job), period: run.period_key };
    if (run.status === 'succeeded') Message.success(t('jobs.run.succeeded', values));
    else Message.error({ content: t('jobs.run.failed', { ...values, error: run.error ?? '' }), duration: 6000 });
    refreshKey.value += 1;
    void load();
  });

  /** A run has started (202): show it running and follow it. */
  function started(run: JobRunView) {
    Message.info(t('jobs.run.started', { title: titleOf(run.job), period: run.period_key }));
    watch.follow(run);
    void load();
  }

  return { jobs, loading, error, refreshKey, load, setPaused, started, watching: watch.watching };
}
