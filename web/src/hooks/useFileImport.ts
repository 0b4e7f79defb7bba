import { computed, ref, shallowRef } from 'vue';
import axios, { type AxiosProgressEvent } from 'axios';
import { IMPORT_EXTENSIONS, IMPORT_MAX_BYTES } from '@/api/customer-import';
import { isApiError } from '@/api/http';
import type { ImportOptions } from '@/api/upload';
import i18n from '@/locale';

export type ImportStep = 'upload' | 'review' | 'done';
/** While a request runs: the file going up, then the server at work. */
export type Phase = 'idle' | 'uploading' | 'processing';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));
const MIB = 1024 * 1024;
const limitMiB = IMPORT_MAX_BYTES / MIB;

/** The kinds of file an import takes by default (customers, usage). */
export const DEFAULT_EXTENSIONS: readonly string[] = IMPORT_EXTENSIONS;

/** An import's rows a status filter shows: `all`, or those of one status. */
export function rowsOfStatus<R extends { status: string }>(rows: readonly R[], filter: string): R[] {
  return filter === 'all' ? [...rows] : rows.filter((row) => row.status === filter);
}

/** Why the browser refuses the file before sending it (the user's words), or null. */
export function checkFile(file: { name: string; size: number }, extensions: readonly string[] = DEFAULT_EXTENSIONS): string | null {
  const name = file.name.toLowerCase();
  if (!extensions.some((ext) => name.endsWith(ext))) {
    return extensions === DEFAULT_EXTENSIONS
      ? t('fileImport.badExtension', { name: file.name })
      : t('fileImport.badExtensionOf', { name: file.name, formats: extensions.join('、') });
  }
  if (file.size === 0) return t('fileImport.emptyFile', { name: file.name });
  if (file.size > IMPORT_MAX_BYTES) {
    return t('fileImport.tooLarge', { name: file.name, size: (file.size / MIB).toFixed(1), limit: limitMiB });
  }
  return null;
}

/** The server's message as it is; a bare 413 from a proxy gets ours. */
function messageOf(error: unknown): string {
  if (isApiError(error)) {
    if (error.status === 413 && error.code === 'HTTP_ERROR') return t('fileImport.serverTooLarge', { limit: limitMiB });
    return error.message || t('fileImport.failed');
  }
  return error instanceof Error ? error.message : String(error);
}

export interface FileImportOptions<R> {
  /** Post the file, as a dry run or for real. */
  send: (file: File, dryRun: boolean, options: ImportOptions) => Promise<R>;
  /** Whether a dry run's answer leaves anything to do for real. */
  confirmable: (preview: R) => boolean;
  /** Downloads the import's template (the first step offers it). */
  template: () => Promise<unknown>;
  /** After every answered request (e.g. to reload a history). */
  onAnswer?: () => void;
  /** The file kinds taken, when not the default `.xlsx` and `.csv`. */
  extensions?: readonly string[];
}

/**
 * Every import's flow: pick a file → dry run (upload progress, then the server's check)
 * → review → the same File again for real → done; and the template to fill in. Errors
 * stay on screen until the next attempt; a new file or a reset cancels whatever is still
 * running.
 */
export function useFileImport<R>(options: FileImportOptions<R>) {
  const step = ref<ImportStep>('upload');
  const phase = ref<Phase>('idle');
  /** Upload progress, 0–1 (Arco's scale). */
  const progress = ref(0);
  const file = shallowRef<File | null>(null);
  const preview = shallowRef<R | null>(null);
  const result = shallowRef<R | null>(null);
  const error = ref<string | null>(null);
  const templateLoading = ref(false);

  let controller: AbortController | null = null;
  let ticket = 0;

  const stepIndex = computed(() => ({ upload: 1, review: 2, done: 3 })[step.value]);
  const busy = computed(() => phase.value !== 'idle');
  const canConfirm = computed(
    () => step.value === 'review' && preview.value !== null && options.confirmable(preview.value) && !busy.value && file.value !== null,
  );

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
  async function send(dryRun: boolean): Promise<R | null> {
    const current = file.value;
    if (!current) return null;
    cancel();
    const mine = ticket;
    controller = new AbortController();
    error.value = null;
    phase.value = 'uploading';
    try {
      const answer = await options.send(current, dryRun, { onUploadProgress, signal: controller.signal });
      if (mine !== ticket) return null;
      options.onAnswer?.();
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
    const problem = checkFile(chosen, options.extensions);
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

  const downloadTemplate = () => withLoading(templateLoading, options.template);

  return { step, stepIndex, phase, progress, file, preview, result, error, busy, canConfirm, templateLoading, pick, confirm, reset, cancel, downloadTemplate };
}

export type FileImport<R> = ReturnType<typeof useFileImport<R>>;

/** Run a download with a loading flag; the client has already shown any error. */
export async function withLoading(flag: { value: boolean }, run: () => Promise<unknown>): Promise<void> {
  flag.value = true;
  try {
    await run();
  } catch {
    // The client has shown the server's message.
  } finally {
    flag.value = false;
  }
}
