import { computed, ref, shallowRef } from 'vue';
import axios, { type AxiosProgressEvent } from 'axios';
import {
  IMPORT_EXTENSIONS,
  IMPORT_MAX_BYTES,
  downloadImportReport,
  downloadImportTemplate,
  importCustomers,
} from '@/api/customer-import';
import { isApiError } from '@/api/http';
import type { ImportIssue, ImportIssueStatus, ImportResult } from '@/api/types';
import i18n from '@/locale';

export type WizardStep = 'upload' | 'review' | 'done';
/** While a request runs: the file going up, then the server at work. */
export type Phase = 'idle' | 'uploading' | 'processing';
export type IssueFilter = 'all' | ImportIssueStatus;

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));
const MIB = 1024 * 1024;
const limitMiB = IMPORT_MAX_BYTES / MIB;

/** Why the browser refuses the file before sending it (the user's words), or null. */
export function checkFile(file: { name: string; size: number }): string | null {
  const name = file.name.toLowerCase();
  if (!IMPORT_EXTENSIONS.some((ext) => name.endsWith(ext))) return t('customerImport.upload.badExtension', { name: file.name });
  if (file.size === 0) return t('customerImport.upload.emptyFile', { name: file.name });
  if (file.size > IMPORT_MAX_BYTES) {
    return t('customerImport.upload.tooLarge', { name: file.name, size: (file.size / MIB).toFixed(1), limit: limitMiB });
  }
  return null;
}

/** The issues the table shows for a filter. */
export function filterIssues(issues: readonly ImportIssue[], filter: IssueFilter): ImportIssue[] {
  return filter === 'all' ? [...issues] : issues.filter((issue) => issue.status === filter);
}

/** Rows a real run would write (cleanly or with warnings). */
export function importableRows(result: ImportResult | null): number {
  return result ? result.counts.imported + result.counts.imported_with_warnings : 0;
}

/** The server's message as it is; a bare 413 from a proxy gets ours. */
function messageOf(error: unknown): string {
  if (isApiError(error)) {
    if (error.status === 413 && error.code === 'HTTP_ERROR') return t('customerImport.upload.serverTooLarge', { limit: limitMiB });
    return error.message || t('customerImport.upload.failed');
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The import wizard: pick a file → dry run (upload progress, then the server's check)
 * → review → the same File again for real → done. Errors stay on screen until the next
 * attempt; a new file or a reset cancels whatever is still running.
 */
export function useImportWizard() {
  const step = ref<WizardStep>('upload');
  const phase = ref<Phase>('idle');
  /** Upload progress, 0–1 (Arco's scale). */
  const progress = ref(0);
  const file = shallowRef<File | null>(null);
  const preview = shallowRef<ImportResult | null>(null);
  const result = shallowRef<ImportResult | null>(null);
  const error = ref<string | null>(null);
  /** Bumped after every answered request, so the history reloads. */
  const historyKey = ref(0);
  const templateLoading = ref(false);
  const reportLoading = ref(false);

  let controller: AbortController | null = null;
  let ticket = 0;

  const stepIndex = computed(() => ({ upload: 1, review: 2, done: 3 })[step.value]);
  const busy = computed(() => phase.value !== 'idle');
  const importable = computed(() => importableRows(preview.value));
  const canConfirm = computed(() => step.value === 'review' && importable.value > 0 && !busy.value && file.value !== null);

  function onUploadProgress(event: AxiosProgressEvent) {
    const fraction = event.progress ?? (event.total ? event.loaded / event.total : 0);
    progress.value = Math.min(1, Math.max(0, fraction));
    // All bytes sent: the server is reading and checking the file now.
    if (progress.value >= 1) phase.value = 'processing';
  }

  function cancel() {
    ticket += 1;
    controller?.abort();
    controller = null;
    phase.value = 'idle';
    progress.value = 0;
  }

  /** Send the current file; null when cancelled or failed (the error is set then). */
  async function send(dryRun: boolean): Promise<ImportResult | null> {
    const current = file.value;
    if (!current) return null;
    cancel();
    const mine = ticket;
    controller = new AbortController();
    error.value = null;
    phase.value = 'uploading';
    try {
      const answer = await importCustomers(current, dryRun, { onUploadProgress, signal: controller.signal });
      if (mine !== ticket) return null;
      historyKey.value += 1;
      return answer;
    } catch (failure) {
      if (mine !== ticket || axios.isCancel(failure)) return null;
      error.value = messageOf(failure);
      return null;
    } finally {
      if (mine === ticket) {
        phase.value = 'idle';
        progress.value = 0;
        controller = null;
      }
    }
  }

  /** A file was chosen or dropped: check it here, then dry-run it on the server. */
  async function pick(chosen: File) {
    cancel();
    step.value = 'upload';
    preview.value = null;
    result.value = null;
    const problem = checkFile(chosen);
    if (problem) {
      file.value = null;
      error.value = problem;
      return;
    }
    file.value = chosen;
    const answer = await send(true);
    if (answer) {
      preview.value = answer;
      step.value = 'review';
    }
  }

  /** 确认导入: the same File object again, for real. */
  async function confirm() {
    if (!canConfirm.value) return;
    const answer = await send(false);
    if (answer) {
      result.value = answer;
      step.value = 'done';
    }
  }

  /** 重新选择文件 / 继续导入: back to an empty first step. */
  function reset() {
    cancel();
    step.value = 'upload';
    file.value = null;
    preview.value = null;
    result.value = null;
    error.value = null;
  }

  async function downloadTemplate() {
    templateLoading.value = true;
    try {
      await downloadImportTemplate();
    } catch {
      // The client has shown the server's message.
    } finally {
      templateLoading.value = false;
    }
  }

  /** The report of this run (its `report_url`), or of an earlier import by id. */
  async function downloadReport(target: Pick<ImportResult, 'import_id' | 'report_url'> | number) {
    reportLoading.value = true;
    try {
      if (typeof target === 'number') await downloadImportReport(target);
      else await downloadImportReport(target.import_id, target.report_url);
    } catch {
      // The client has shown the server's message.
    } finally {
      reportLoading.value = false;
    }
  }

  return {
    step,
    stepIndex,
    phase,
    progress,
    file,
    preview,
    result,
    error,
    busy,
    importable,
    canConfirm,
    historyKey,
    templateLoading,
    reportLoading,
    pick,
    confirm,
    reset,
    cancel,
    downloadTemplate,
    downloadReport,
  };
}

export type ImportWizard = ReturnType<typeof useImportWizard>;
