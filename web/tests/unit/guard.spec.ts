import { beforeEach, describe, expect, it, vi } from 'vitest';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, type RouteRecordRaw } from 'vue-router';
import { setupGuards } from '@/router/guard';
import type { User } from '@/api/types';
import { useAuthStore } from '@/store';
import { userFixture as user } from './support/users';

vi.mock('@/api/auth', () => ({
  fetchMe: vi.fn(),
  login: vi.fn(),
  refresh: vi.fn(),
  logout: vi.fn(),
  changePassword: vi.fn(),
}));

const Page = { render: () => null };
// The app's route names and permissions, with empty components.
const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'Login', component: Page, meta: { public: true } },
  { path: '/change-password', name: 'ChangePassword', component: Page },
  {
    path: '/',
    component: Page,
    redirect: '/workplace',
    children: [
      { path: 'workplace', name: 'Workplace', component: Page },
      { path: 'users', name: 'Users', component: Page, meta: { permission: 'users.manage' } },
      { path: 'account', name: 'Account', component: Page },
      { path: '403', name: 'Forbidden', component: Page },
    ],
  },
];


async function navigate(path: string) {
  const router = createRouter({ history: createMemoryHistory(), routes });
  setupGuards(router);
  await router.push(path);
  return router.currentRoute.value;
}

function signIn(u: User | null, permissions: string[] | null) {
  const auth = useAuthStore();
  auth.accessToken = 'token';
  auth.refreshToken = 'refresh';
  auth.user = u;
  auth.permissions = permissions;
  return auth;
}

describe('route guard', () => {
  beforeEach(() => {
    localStorage.clear();
    setActivePinia(createPinia());
  });

  it('sends a visitor to the login page with the way back', async () => {
    const to = await navigate('/users?page=2');
    expect(to.name).toBe('Login');
    expect(to.query.redirect).toBe('/users?page=2');
  });

  it('lets a visitor open the login page', async () => {
    expect((await navigate('/login')).name).toBe('Login');
  });

  it('keeps a user who must change the password on the change page', async () => {
    signIn(user({ must_change_password: true }), []);
    expect((await navigate('/workplace')).name).toBe('ChangePassword');
    expect((await navigate('/account')).name).toBe('ChangePassword');
    expect((await navigate('/change-password')).name).toBe('ChangePassword');
  });

  it('shows 403 for a page the role may not open', async () => {
    signIn(user(), ['customers.view']);
    const to = await navigate('/users');
    expect(to.name).toBe('Forbidden');
    expect(to.query.from).toBe('/users');
  });

  it('opens a permitted page', async () => {
    signIn(user({ role: 'management' }), ['users.manage']);
    expect((await navigate('/users')).name).toBe('Users');
  });

  it('loads /auth/me on the first navigation', async () => {
    const api = await import('@/api/auth');
    vi.mocked(api.fetchMe).mockResolvedValueOnce({ ...user({ role: 'management' }), permissions: ['users.manage'] });
    const auth = signIn(null, null);
    expect((await navigate('/users')).name).toBe('Users');
    expect(auth.permissions).toEqual(['users.manage']);
  });

  it('does not send a signed-in user back to the change page once changed', async () => {
    signIn(user(), []);
    expect((await navigate('/change-password')).name).toBe('Account');
  });
});
