import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, h, nextTick, type Component } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import i18n from '@/locale';
import { useAuthStore } from '@/store';
import UsagePage from '@/views/usage/index.vue';
import QuarantinePage from '@/views/usage/quarantine/index.vue';
import CollectionsPage from '@/views/usage/collections/index.vue';

// Charts need a canvas, which happy-dom lacks: stand in for vue-echarts.
vi.mock('vue-echarts', () => ({ default: { name: 'VChart', render: () => h('div', { class: 'v-chart' }) } }));

const series = { X: ['120.5', '0'], N: ['30', '0'], L: ['12.25', '0'] };
const quarantineItem = {
  id: 3, source: 'import', source_id: null, reason: 'INVALID_QUANTITY', message: '用量不能为负数', account_id: 'acc_1',
  customer_id: null, customer_code: null, company_name: null, series: 'L', day: '2026-11-05', quantity: '-5', raw: {},
  status: 'pending', occurrences: 1, created_at: '2026-11-06T00:00:00Z', resolved_at: null, resolved_by: null,
  resolution: null, resolution_note: null, usage_record_id: null,
};

async function mount(page: Component, path: string, permissions: string[]) {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  auth.permissions = permissions;
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: '/:rest(.*)*', component: page }] });
  await router.push(path);
  const el = document.createElement('div');
  document.body.appendChild(el);
  const app = createApp({ render: () => h(RouterView) });
  app.use(ArcoVue).use(i18n).use(router).mount(el);
  for (let i = 0; i < 5; i += 1) {
    await new Promise((r) => setTimeout(r, 0));
    await nextTick();
  }
  return { el, unmount: () => app.unmount() };
}

describe('usage pages render against the contract’s shapes', () => {
  let mock: MockAdapter;
  beforeEach(() => {
    mock = new MockAdapter(http);
    mock.onGet('/usage').reply(200, {
      items: [{ id: 1, customer_id: 7, customer_code: 'C000007', company_name: '甲物业', series: 'X', day: '2026-11-05', quantity: '120.5',
        source: 'manual', source_id: '7:X:2026-11-05', revisions: 0, updated_at: '2026-11-06T00:00:00Z', updated_by: null }],
      total: 1, page: 1, page_size: 20,
    });
    mock.onGet('/usage/daily').reply(200, { month: '2026-11', days: ['2026-11-01', '2026-11-02'], series });
    mock.onGet('/usage/monthly').reply(200, {
      items: [{ customer_id: 7, customer_code: 'C000007', company_name: '甲物业', X: '120.5', N: '30', L: '12.25', days: 1 }],
      total: 1, page: 1, page_size: 20, totals: { X: '120.5', N: '30', L: '12.25' },
    });
    mock.onGet('/usage/quarantine').reply(200, { items: [quarantineItem], total: 1, page: 1, page_size: 20, pending_by_reason: { INVALID_QUANTITY: 1 } });
    mock.onGet('/usage/sources').reply(200, []);
    mock.onGet('/usage/collections').reply(200, {
      items: [{ id: 5, source: 'vendor', day: '2026-11-21', status: 'failed', trigger: 'manual', pages: 3, attempts: 4, fetched: 0, accepted: 0,
        created: 0, updated: 0, unchanged: 0, quarantined: 0, error: '供应商接口返回 HTTP 503（已重试 3 次）', started_at: '2026-11-22T02:00:00Z',
        finished_at: '2026-11-22T02:00:01Z', duration_ms: 1412, triggered_by: null }],
      total: 1, page: 1, page_size: 20,
    });
  });
  afterEach(() => mock.restore());

  it('用量数据: totals row, chart totals, write actions only with usage.manage', async () => {
    const { el, unmount } = await mount(UsagePage, '/usage/records?month=2026-11', ['usage.view', 'usage.manage']);
    expect(el.querySelector('[data-testid="usage-monthly-totals"]')?.textContent).toBe('合计');
    expect(el.querySelector('.arco-table-tr-summary [data-series="L"]')?.getAttribute('data-value')).toBe('12.25');
    expect(el.querySelector('[data-series-total="X"]')?.getAttribute('data-value')).toBe('120.5');
    expect(el.querySelector('[data-testid="usage-entry"]')).not.toBeNull();
    expect(mock.history.get?.find((r) => r.url === '/usage/daily')?.params).toMatchObject({ month: '2026-11' });
    unmount();

    const viewer = await mount(UsagePage, '/usage/records', ['usage.view']);
    expect(viewer.el.querySelector('[data-testid="usage-entry"]')).toBeNull();
    expect(viewer.el.querySelector('[data-testid="usage-import"]')).toBeNull();
    viewer.unmount();
  });

  it('异常数据: pending counts as tags, the server’s message, pending by default', async () => {
    const { el, unmount } = await mount(QuarantinePage, '/usage/quarantine', ['usage.view', 'usage.manage']);
    expect(el.querySelector('[data-testid="pending-by-reason"] [data-reason="INVALID_QUANTITY"]')?.textContent).toContain('用量无效 1');
    expect(el.querySelector('[data-testid="quarantine-message"]')?.textContent).toBe('用量不能为负数');
    expect(el.querySelector('[data-testid="resolve-3"]')).not.toBeNull();
    expect(mock.history.get?.find((r) => r.url === '/usage/quarantine')?.params).toMatchObject({ status: 'pending' });
    unmount();
  });

  it('采集日志: the run’s error, its duration, and the no-source notice', async () => {
    const { el, unmount } = await mount(CollectionsPage, '/usage/collections', ['usage.view', 'usage.manage']);
    expect(el.querySelector('[data-testid="run-error"]')?.textContent).toBe('供应商接口返回 HTTP 503（已重试 3 次）');
    expect(el.textContent).toContain('1.4 s');
    expect(el.querySelector('[data-testid="no-sources"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="rerun-5"]')).not.toBeNull();
    unmount();
  });
});
