import { http } from './http';
import type { ClockView, ReadyzResponse } from './types';

export interface Readiness {
  ready: boolean;
  body: ReadyzResponse | null;
}

/** `GET /readyz` lives outside /api/v1; 503 is an answer here, not an error. */
export async function fetchReadiness(): Promise<Readiness> {
  const response = await http.get<ReadyzResponse>('/readyz', {
    baseURL: '/',
    silent: true,
    validateStatus: (status) => status === 200 || status === 503,
  });
  const body = typeof response.data === 'object' && response.data !== null ? response.data : null;
  return { ready: response.status === 200, body };
}

/**
 * `GET /system/clock`: the test clock's time, or null when it is off (the server
 * answers 404 then, as if the endpoint did not exist).
 */
export async function fetchTestClock(): Promise<ClockView | null> {
  const response = await http.get<ClockView>('/system/clock', {
    silent: true,
    validateStatus: (status) => status === 200 || status === 404,
  });
  return response.status === 200 ? response.data : null;
}
