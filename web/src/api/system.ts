import { http } from './http';
import type { ReadyzResponse } from './types';

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
