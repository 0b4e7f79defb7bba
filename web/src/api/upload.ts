import type { AxiosProgressEvent } from 'axios';
import { DOWNLOAD_TIMEOUT } from './download';
import { request } from './http';

export interface ImportOptions {
  onUploadProgress?: (event: AxiosProgressEvent) => void;
  signal?: AbortSignal;
}

/**
 * `POST <url>?dry_run=…` with the file as the multipart field `file`: every import
 * (customers, usage) goes up this way. Silent: the import dialogs show the server's
 * message (400/413/422) next to the upload.
 */
export function postImportFile<T>(url: string, file: File, dryRun: boolean, options: ImportOptions = {}) {
  const form = new FormData();
  form.append('file', file, file.name);
  return request.post<T>(url, form, {
    params: { dry_run: dryRun ? 'true' : 'false' },
    // 200,000 rows over a slow link take longer than the usual 30 s.
    timeout: DOWNLOAD_TIMEOUT,
    silent: true,
    onUploadProgress: options.onUploadProgress,
    signal: options.signal,
  });
}
