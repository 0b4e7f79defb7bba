import axios, {
  AxiosError,
  type AxiosInstance,
  type AxiosRequestConfig,
  type InternalAxiosRequestConfig,
} from 'axios';
import { Message } from '@arco-design/web-vue';
import i18n from '@/locale';
import type { ApiErrorBody, ApiErrorDetail } from './types';

declare module 'axios' {
  interface AxiosRequestConfig {
    /** The caller shows the error itself: do not pop the global error message. */
    silent?: boolean;
    /**
     * Auth endpoints (login, refresh, logout): never wait for or trigger a token
     * refresh. Without this the refresh call would wait on itself.
     */
    skipAuthRefresh?: boolean;
  }
  interface InternalAxiosRequestConfig {
    /** Set on the second attempt after a refresh, so a request is retried once. */
    _retried?: boolean;
    /** The access token the request went out with. */
    _sentToken?: string | null;
  }
}

/** Every failed request rejects with this, whatever went wrong. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: ApiErrorDetail[];

  constructor(status: number, code: string, message: string, details: ApiErrorDetail[] = []) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }

  /** The server's message for one form field, if it named that field. */
  fieldMessage(field: string): string | undefined {
    return this.details.find((d) => d.field === field)?.message;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

/** What the client needs from the rest of the app; wired in `setupSession`. */
export interface HttpHooks {
  getAccessToken(): string | null;
  /** Get and store new tokens; rejects when the session cannot be renewed. */
  refresh(): Promise<void>;
  /** The refresh failed: the session is over. Called once per failed refresh. */
  onSessionExpired(): void;
  /** The server refuses everything until the password is changed. */
  onPasswordChangeRequired(): void;
  /** Show an error to the user. */
  notify(message: string): void;
}

const t = (key: string, values?: Record<string, unknown>) =>
  values ? i18n.global.t(key, values) : i18n.global.t(key);

function isErrorBody(data: unknown): data is ApiErrorBody {
  if (typeof data !== 'object' || data === null || !('error' in data)) return false;
  const error = (data as { error: unknown }).error;
  return typeof error === 'object' && error !== null && typeof (error as { message?: unknown }).message === 'string';
}

function isBlob(value: unknown): value is Blob {
  return typeof value === 'object' && value !== null && typeof (value as Blob).text === 'function' && typeof (value as Blob).size === 'number';
}

/**
 * A failed `responseType: 'blob'` request (a download) carries the error envelope as a
 * Blob: read it back as JSON so the user sees the server's message, not just a status.
 */
export async function readBlobErrorBody(error: unknown): Promise<void> {
  if (!axios.isAxiosError(error) || !error.response || !isBlob(error.response.data)) return;
  try {
    error.response.data = JSON.parse(await error.response.data.text()) as unknown;
  } catch {
    // Not JSON: toApiError falls back to a message naming the status.
  }
}

/** Turn whatever axios rejected with into an ApiError with a message fit for the user. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  // isAxiosError, not instanceof: several copies of axios may be loaded (tests, adapters).
  if (axios.isAxiosError(error)) {
    const response = error.response;
    if (response) {
      if (isErrorBody(response.data)) {
        const body = response.data.error;
        // The document leaves `details` free-form; they are field errors, or a
        // code's own entries that its caller narrows (see ApiErrorDetail).
        return new ApiError(response.status, body.code, body.message, (body.details ?? []) as ApiErrorDetail[]);
      }
      return new ApiError(response.status, 'HTTP_ERROR', t('http.status', { status: response.status }));
    }
    if (error.code === AxiosError.ECONNABORTED || error.code === AxiosError.ETIMEDOUT) {
      return new ApiError(0, 'TIMEOUT', t('http.timeout'));
    }
    return new ApiError(0, 'NETWORK_ERROR', t('http.network'));
  }
  return new ApiError(0, 'UNKNOWN', error instanceof Error ? error.message : String(error));
}

/**
 * An axios instance (never the global one) that adds the Bearer token, renews it once
 * on 401 while holding back every other request, retries, and shows errors in one place.
 */
export function createHttpClient(hooks: () => HttpHooks, baseURL = '/api/v1'): AxiosInstance {
  const instance = axios.create({ baseURL, timeout: 30_000 });
  let refreshing: Promise<void> | null = null;

  function refreshOnce(): Promise<void> {
    refreshing ??= hooks()
      .refresh()
      .catch((error: unknown) => {
        hooks().onSessionExpired();
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
    return refreshing;
  }

  const sessionExpired = () => new ApiError(401, 'SESSION_EXPIRED', t('http.sessionExpired'));

  instance.interceptors.request.use(async (config: InternalAxiosRequestConfig) => {
    if (!config.skipAuthRefresh && refreshing) {
      try {
        await refreshing;
      } catch {
        throw sessionExpired();
      }
    }
    const token = hooks().getAccessToken();
    config._sentToken = token;
    if (token) config.headers.set('Authorization', `Bearer ${token}`);
    return config;
  });

  instance.interceptors.response.use(undefined, async (error: unknown) => {
    if (axios.isCancel(error)) throw error;
    // Requests held back behind a refresh that failed: onSessionExpired already told the user.
    if (error instanceof ApiError && error.code === 'SESSION_EXPIRED') throw error;
    const config = axios.isAxiosError(error) ? error.config : undefined;
    const status = axios.isAxiosError(error) ? error.response?.status : undefined;

    if (status === 401 && config && !config.skipAuthRefresh && !config._retried) {
      const current = hooks().getAccessToken();
      // A refresh that finished while this request was in flight already fixed it.
      const alreadyRenewed = current !== null && current !== config._sentToken;
      if (!alreadyRenewed) {
        try {
          await refreshOnce();
        } catch {
          throw sessionExpired();
        }
      }
      config._retried = true;
      return instance.request(config);
    }

    await readBlobErrorBody(error);
    const apiError = toApiError(error);
    if (apiError.status === 403 && apiError.code === 'PASSWORD_CHANGE_REQUIRED') {
      hooks().onPasswordChangeRequired();
    }
    if (!config?.silent) hooks().notify(apiError.message);
    throw apiError;
  });

  return instance;
}

const defaultHooks: HttpHooks = {
  getAccessToken: () => null,
  refresh: () => Promise.reject(new Error('no session')),
  onSessionExpired: () => undefined,
  onPasswordChangeRequired: () => undefined,
  notify: (message) => {
    Message.error({ content: message, duration: 4000 });
  },
};
let activeHooks: HttpHooks = defaultHooks;

/** Connect the shared client to the auth store and router (called once at start). */
export function configureHttp(hooks: Partial<HttpHooks>): void {
  activeHooks = { ...defaultHooks, ...hooks };
}

/** The app's one API client. */
export const http = createHttpClient(() => activeHooks);

/** Thin typed helpers that return the body. */
export const request = {
  get: <T>(url: string, config?: AxiosRequestConfig) => http.get<T>(url, config).then((r) => r.data),
  post: <T>(url: string, data?: unknown, config?: AxiosRequestConfig) =>
    http.post<T>(url, data, config).then((r) => r.data),
  patch: <T>(url: string, data?: unknown, config?: AxiosRequestConfig) =>
    http.patch<T>(url, data, config).then((r) => r.data),
  put: <T>(url: string, data?: unknown, config?: AxiosRequestConfig) =>
    http.put<T>(url, data, config).then((r) => r.data),
  delete: <T>(url: string, config?: AxiosRequestConfig) => http.delete<T>(url, config).then((r) => r.data),
};
