import { ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message } from '@arco-design/web-vue';
import { isApiError } from '@/api/http';
import { listJobRuns, runJob } from '@/api/jobs';
import type { JobRunView } from '@/api/types';

/** The job that pulls the ERP's customer master data (`erp.customers`). */
export const PULL_JOB = 'erp.customers';

/**
 * 立即同步: runs the ERP customer pull now (a forced run of today's `erp.customers`) and
 * follows it until it ends, then says what it did or why it failed and reloads the page.
 * A run already under way is the server's 409, shown by the client.
 */
export function useErpPull(reload: () => unknown) {
  const { t } = useI18n();
  const pulling = ref(false);

  async function finished(started: JobRunView): Promise<JobRunView | undefined> {
    for (let i = 0; i < 300; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const runs = await listJobRuns(PULL_JOB, { page: 1, page_size: 10 }, { silent: true });
      const run = runs.items.find((r) => r.id === started.id);
      if (run && run.status !== 'running') return run;
    }
    return undefined;
  }

  async function pullNow() {
    pulling.value = true;
    try {
      const started = await runJob(PULL_JOB, { force: true });
      const run = await finished(started);
      if (!run) Message.info(t('integrations.pull.stillRunning'));
      else if (run.status === 'succeeded') {
        const c = (run.counts ?? {}) as Record<string, unknown>;
        const n = (key: string) => (typeof c[key] === 'number' ? (c[key] as number) : 0);
        Message.success(t('integrations.pull.done', { fetched: n('fetched'), created: n('created'), updated: n('updated'), conflicts: n('conflicts') }));
      } else Message.error(t('integrations.pull.failed', { message: run.error ?? '' }));
    } catch (failure) {
      if (!isApiError(failure)) throw failure;
    } finally {
      pulling.value = false;
      void reload();
    }
  }

  return { pullNow, pulling };
}
