import { onBeforeUnmount, ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message } from '@arco-design/web-vue';
import { downloadBackup, listBackups, startBackup, verifyBackup } from '@/api/backups';
import type { BackupList } from '@/api/types';
import { isApiError } from '@/api/http';

/** How often the list is read again while a backup is being written. */
export const POLL_MS = 2000;

/**
 * The 数据备份 page's state: the list (`GET /backups`), starting a backup and following it
 * (the list is read every POLL_MS while the server says one is running), checking one
 * again, and downloading one. Which button is busy is kept per backup name.
 */
export function useBackups() {
  const { t } = useI18n();
  const list = shallowRef<BackupList | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  const starting = ref(false);
  /** A backup this page started (or found running) is being followed. */
  const following = ref(false);
  const verifying = ref<Record<string, boolean>>({});
  const downloading = ref<Record<string, boolean>>({});
  let timer: ReturnType<typeof setInterval> | null = null;
  let expected: string | null = null;

  async function load() {
    loading.value = true;
    try {
      list.value = await listBackups({ silent: true });
      error.value = null;
    } catch (failure) {
      error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
    if (list.value?.running) follow();
  }

  function stopFollowing() {
    if (timer) clearInterval(timer);
    timer = null;
    following.value = false;
  }

  /** Read the list again until the server has finished writing; then say how it went. */
  function follow() {
    if (timer) return;
    following.value = true;
    const errorBefore = list.value?.last_error?.at ?? null;
    let reading = false;
    timer = setInterval(async () => {
      if (reading) return;
      reading = true;
      try {
        list.value = await listBackups({ silent: true });
      } catch {
        // A hiccup while polling: try again on the next tick.
        return;
      } finally {
        reading = false;
      }
      if (list.value.running) return;
      stopFollowing();
      const failed = list.value.last_error;
      if (failed && failed.at !== errorBefore) Message.error({ content: t('backups.failed', { message: failed.message }), duration: 8000 });
      else if (expected && list.value.items.some((b) => b.name === expected)) Message.success(t('backups.done', { name: expected }));
      expected = null;
    }, POLL_MS);
  }

  async function start() {
    starting.value = true;
    try {
      const { name } = await startBackup({ silent: true });
      expected = name;
      Message.info(t('backups.started', { name }));
      if (list.value) list.value = { ...list.value, running: true };
      follow();
    } catch (failure) {
      if (isApiError(failure) && failure.code === 'BACKUP_RUNNING') {
        Message.warning(t('backups.alreadyRunning'));
        follow();
      } else {
        Message.error(isApiError(failure) ? failure.message : String(failure));
      }
    } finally {
      starting.value = false;
    }
  }

  async function verify(name: string) {
    verifying.value = { ...verifying.value, [name]: true };
    try {
      const checked = await verifyBackup(name);
      if (list.value) list.value = { ...list.value, items: list.value.items.map((b) => (b.name === name ? checked : b)) };
      if (checked.status === 'verified') Message.success(t('backups.verified', { name }));
      else Message.error({ content: t('backups.corrupt', { name, error: checked.error ?? '' }), duration: 8000 });
    } catch {
      // The client has shown the server's message.
    } finally {
      verifying.value = { ...verifying.value, [name]: false };
    }
  }

  async function download(name: string) {
    downloading.value = { ...downloading.value, [name]: true };
    try {
      await downloadBackup(name);
    } catch {
      // The client has shown the server's message.
    } finally {
      downloading.value = { ...downloading.value, [name]: false };
    }
  }

  onBeforeUnmount(stopFollowing);

  return { list, loading, error, starting, following, verifying, downloading, load, start, verify, download };
}
