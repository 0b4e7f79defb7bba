/** Talking to the server under test directly, for seeding and for the admin's token. */
import { ADMIN_NEW_PASSWORD, ADMIN_PASSWORD } from './config';

export type Json = Record<string, unknown>;
export type Tokens = { access_token: string };

export function apiClient(apiURL: string) {
  async function api<T = Json>(method: string, path: string, body?: unknown, token?: string): Promise<{ status: number; body: T }> {
    const response = await fetch(`${apiURL}/api/v1${path}`, {
      method,
      headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : null) as T };
  }

  async function must<T = Json>(method: string, path: string, body?: unknown, token?: string): Promise<T> {
    const answer = await api<T>(method, path, body, token);
    if (answer.status >= 300) throw new Error(`${method} ${path} → ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  }

  /** The admin's token; when a file runs alone, the forced password change happens here. */
  async function adminToken(): Promise<string> {
    const changed = await api<Tokens>('POST', '/auth/login', { username: 'admin', password: ADMIN_NEW_PASSWORD });
    if (changed.status === 200) return changed.body.access_token;
    const first = await must<Tokens>('POST', '/auth/login', { username: 'admin', password: ADMIN_PASSWORD });
    const body = { current_password: ADMIN_PASSWORD, new_password: ADMIN_NEW_PASSWORD };
    return (await must<Tokens>('POST', '/auth/password', body, first.access_token)).access_token;
  }

  return { api, must, adminToken };
}
