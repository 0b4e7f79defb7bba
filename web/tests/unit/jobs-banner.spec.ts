/**
 * The home page's red band while a scheduled job is failing (`GET /jobs`, `failing`):
 * shown to those with jobs.view, naming the jobs and linking to /jobs; absent when all
 * is well; never asked for by a sales user, whose home page still renders.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { h } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { JobView, User } from '@/api/types';
import i18n from '@/locale';
import { useAuthStore } from '@/store';
import Workplace from '@/views/workplace/index.vue';
import { mountApp } from './support/mount';
import { userFixture } from './support/users';

const user = (role: User['role']): User => userFixture({ username: 'zhang', display_name: '张三', role });

const job = (name: string, title: string, failing: boolean): JobView => ({
  name, title, description: '', cadence: 'daily', schedule: '0 2 * * *', schedule_text: '每天 02:00', timezone: 'Asia/Shanghai',
  paused: false, next_run_at: null, latest_period: '2026-12-04', last_run: null, failing,
});

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  mock.onGet('/readyz').reply(200, { status: 'ok', database: 'ok' });
});
afterEach(() => mock.restore());

async function mount(role: User['role'], permissions: string[]) {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  auth.user = user(role);
  auth.permissions = permissions;
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component: Workplace },
      { path: '/:rest(.*)*', component: { render: () => null } },
    ],
  });
  await router.push('/');
  return mountApp({ render: () => h(RouterView) }, router);
}

const banner = (el: HTMLElement) => el.querySelector<HTMLElement>('[data-testid="failing-jobs-banner"]');

describe('failing jobs banner', () => {
  it('names the failing jobs in red and links to 定时任务', async () => {
    mock.onGet('/jobs').reply(200, [job('usage.collect', '用量采集', true), job('bills.generate', '账单生成', true), job('maintenance.prune', '数据清理', false)]);
    const el = await mount('operations', ['jobs.view']);
    const band = banner(el);
    expect(band?.classList.contains('arco-alert-error')).toBe(true);
    expect(band?.textContent).toContain('定时任务执行失败：用量采集、账单生成。');
    expect(band?.textContent).not.toContain('数据清理');
    expect(band?.getAttribute('data-jobs')).toBe('usage.collect bills.generate');
    expect(band?.querySelector('[data-testid="failing-jobs-link"]')?.getAttribute('href')).toBe('/jobs');
  });

  it('shows nothing when no job is failing, or when the jobs cannot be read', async () => {
    mock.onGet('/jobs').replyOnce(200, [job('usage.collect', '用量采集', false)]);
    expect(banner(await mount('management', ['jobs.view', 'settings.manage']))).toBeNull();
    mock.onGet('/jobs').replyOnce(500, { error: { code: 'INTERNAL', message: '服务器内部错误', details: [] } });
    const el = await mount('management', ['jobs.view', 'settings.manage']);
    expect(banner(el)).toBeNull();
    expect(el.querySelector('[data-testid="greeting"]')).not.toBeNull();
    expect(mock.history.get?.filter((r) => r.url === '/jobs')).toHaveLength(2);
  });

  it('never asks a sales user’s home page for the jobs, and the page still renders', async () => {
    mock.onGet('/jobs').reply(200, [job('usage.collect', '用量采集', true)]);
    const el = await mount('sales', ['customers.view']);
    expect(el.querySelector('[data-testid="greeting"]')?.textContent).toContain('张三');
    expect(banner(el)).toBeNull();
    expect(mock.history.get?.some((r) => r.url === '/jobs')).toBe(false);
  });
});
