import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import * as authApi from '@/api/auth';
import type { ChangePasswordRequest, LoginRequest, TokenResponse, User } from '@/api/types';
import { hasPermission } from '@/utils/permission';
import { clearTokens, loadTokens, saveTokens } from '@/utils/token';

/**
 * The session: tokens (kept in localStorage), the signed-in user and what the role
 * grants. `permissions` is null until `/auth/me` has answered in this page load.
 */
export const useAuthStore = defineStore('auth', () => {
  const stored = loadTokens();
  const accessToken = ref<string | null>(stored.accessToken);
  const refreshToken = ref<string | null>(stored.refreshToken);
  const user = ref<User | null>(null);
  const permissions = ref<string[] | null>(null);

  const isLoggedIn = computed(() => accessToken.value !== null);
  const loaded = computed(() => user.value !== null && permissions.value !== null);
  const mustChangePassword = computed(() => user.value?.must_change_password === true);

  function applyTokens(answer: TokenResponse) {
    accessToken.value = answer.access_token;
    refreshToken.value = answer.refresh_token;
    saveTokens(answer.access_token, answer.refresh_token);
    user.value = answer.user;
  }

  async function login(body: LoginRequest) {
    const answer = await authApi.login(body);
    applyTokens(answer);
    permissions.value = null;
    return answer.user;
  }

  async function fetchMe() {
    const me = await authApi.fetchMe();
    const { permissions: granted, ...rest } = me;
    user.value = rest;
    permissions.value = granted;
  }

  /** Renew the tokens once; the http client calls this on 401. */
  async function refresh() {
    if (!refreshToken.value) throw new Error('no refresh token');
    applyTokens(await authApi.refresh(refreshToken.value));
  }

  async function changePassword(body: ChangePasswordRequest) {
    applyTokens(await authApi.changePassword(body));
    await fetchMe();
  }

  /** The server refused a call until the password is changed. */
  function markPasswordChangeRequired() {
    if (user.value) user.value = { ...user.value, must_change_password: true };
    permissions.value ??= [];
  }

  /** Forget the session locally (tokens, user). */
  function clear() {
    accessToken.value = null;
    refreshToken.value = null;
    user.value = null;
    permissions.value = null;
    clearTokens();
  }

  /** Revoke the refresh token on the server (best effort), then forget the session. */
  async function logout() {
    const token = refreshToken.value;
    try {
      if (token) await authApi.logout(token);
    } catch {
      // The session ends locally whatever the server said.
    } finally {
      clear();
    }
  }

  function can(required: string | readonly string[] | undefined) {
    return hasPermission(permissions.value ?? [], required);
  }

  return {
    accessToken,
    refreshToken,
    user,
    permissions,
    isLoggedIn,
    loaded,
    mustChangePassword,
    login,
    fetchMe,
    refresh,
    changePassword,
    markPasswordChangeRequired,
    clear,
    logout,
    can,
  };
});
