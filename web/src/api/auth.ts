import { request } from './http';
import type { ChangePasswordRequest, LoginRequest, Me, TokenResponse } from './types';

/** Errors are shown by the caller (the login form shows them inline). */
export function login(body: LoginRequest) {
  return request.post<TokenResponse>('/auth/login', body, { skipAuthRefresh: true, silent: true });
}

export function refresh(refreshToken: string) {
  return request.post<TokenResponse>(
    '/auth/refresh',
    { refresh_token: refreshToken },
    { skipAuthRefresh: true, silent: true },
  );
}

export function logout(refreshToken: string) {
  return request.post<void>('/auth/logout', { refresh_token: refreshToken }, { skipAuthRefresh: true, silent: true });
}

export function fetchMe() {
  return request.get<Me>('/auth/me', { silent: true });
}

/** Answers new tokens: the old ones are revoked. Field errors are shown by the form. */
export function changePassword(body: ChangePasswordRequest) {
  return request.post<TokenResponse>('/auth/password', body, { silent: true });
}
