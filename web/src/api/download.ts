import { AxiosHeaders, type AxiosInstance, type RawAxiosHeaders } from 'axios';
import { http } from './http';

/** Big exports and reports can take longer than the client's usual 30 s. */
export const DOWNLOAD_TIMEOUT = 10 * 60_000;

/** Undo a `%XX` encoding of bytes in the given charset; null when it is not valid. */
function decodeExtValue(charset: string, encoded: string): string | null {
  try {
    if (charset === 'utf-8' || charset === '') return decodeURIComponent(encoded);
    if (charset === 'iso-8859-1') return encoded.replace(/%([0-9a-f]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  } catch {
    // Malformed percent-encoding.
  }
  return null;
}

/**
 * XMLHttpRequest hands header values over as bytes, one character each: a raw UTF-8 name
 * (`filename="客户.xlsx"`, which some servers send) arrives as mojibake. Decode it back
 * when it is valid UTF-8; anything else stays as it is.
 */
function repairUtf8(value: string): string {
  if (![...value].some((c) => c.charCodeAt(0) > 0x7f) || [...value].some((c) => c.charCodeAt(0) > 0xff)) return value;
  try {
    const bytes = Uint8Array.from(value, (c) => c.charCodeAt(0));
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return value;
  }
}

/** Keep the name a name: no folders, no control characters. */
function cleanName(name: string): string | null {
  // eslint-disable-next-line no-control-regex
  const base = (name.split(/[\\/]/).pop() ?? '').replace(/[\u0000-\u001f\u007f]/g, '').trim();
  return base && base !== '.' && base !== '..' ? base : null;
}

/**
 * The file name of a `Content-Disposition` header. `filename*` (RFC 6266 / RFC 5987:
 * `UTF-8''%E5%AE%A2%E6%88%B7.xlsx`) wins over plain `filename` (quoted or not). Null
 * when the header names no usable file.
 */
export function filenameFromDisposition(header: string | null | undefined): string | null {
  if (!header) return null;
  const params = new Map<string, string>();
  const pattern = /(?:^|;)\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)/g;
  for (const match of header.matchAll(pattern)) {
    const key = (match[1] ?? '').toLowerCase();
    if (!params.has(key)) params.set(key, (match[2] ?? '').trim());
  }

  const extended = params.get('filename*');
  if (extended) {
    const unquoted = extended.replace(/^"(.*)"$/, '$1');
    const parts = /^([^']*)'[^']*'(.*)$/.exec(unquoted);
    const decoded = parts ? decodeExtValue((parts[1] ?? '').toLowerCase(), parts[2] ?? '') : null;
    const name = decoded === null ? null : cleanName(decoded);
    if (name) return name;
  }

  const plain = params.get('filename');
  if (plain) {
    const quoted = /^"(.*)"$/.exec(plain);
    const value = quoted ? (quoted[1] ?? '').replace(/\\(.)/g, '$1') : plain;
    return cleanName(repairUtf8(value));
  }
  return null;
}

/** Hand a Blob to the browser as a download, through a temporary `<a download>`. */
export function saveBlob(blob: Blob, name: string): void {
  const href = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = href;
  link.download = name;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  // Some browsers read the URL after click() returns: revoke it a little later.
  setTimeout(() => URL.revokeObjectURL(href), 30_000);
}

export interface DownloadOptions {
  params?: object;
  /** The name to save under when the server names no file. */
  fallbackName: string;
  timeout?: number;
}

/** A download asked for with a JSON body (an unsaved report): `POST` instead of `GET`. */
export interface PostDownloadOptions extends DownloadOptions {
  body: unknown;
}

/**
 * GET a file through the API client (so the Bearer token, the refresh and the error
 * messages apply), then save it under the name the server gives. Resolves with that
 * name; rejects with an ApiError carrying the envelope's message (already shown).
 * With a `body` (PostDownloadOptions) the file is asked for by POST.
 */
export async function downloadFile(url: string, options: DownloadOptions | PostDownloadOptions, client: AxiosInstance = http): Promise<string> {
  const response = await client.request<Blob>({
    url,
    ...('body' in options ? { method: 'post', data: options.body } : { method: 'get' }),
    params: options.params,
    responseType: 'blob',
    timeout: options.timeout ?? DOWNLOAD_TIMEOUT,
  });
  const headers = AxiosHeaders.from(response.headers as RawAxiosHeaders);
  const disposition = headers.get('content-disposition');
  const name = filenameFromDisposition(typeof disposition === 'string' ? disposition : null) ?? options.fallbackName;
  saveBlob(response.data, name);
  return name;
}
