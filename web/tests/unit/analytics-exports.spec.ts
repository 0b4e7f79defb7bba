/**
 * 导出 on every analytics page: Excel, CSV and PDF, each asking `GET /analytics/…/export`
 * with what the page shows (the list's applied filters without paging, the dashboard's
 * month, the usage trend's customer, series, span and month) and saving the file under
 * the server's name; a refusal is shown in the server's words.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { h } from 'vue';
import MockAdapter from 'axios-mock-adapter';
import { configureHttp, http } from '@/api/http';
import type { Dashboard } from '@/api/types';
import i18n from '@/locale';
import ChurnPage from '@/views/analytics/churn/index.vue';
import CreditPage from '@/views/analytics/credit/index.vue';
import DashboardPage from '@/views/analytics/dashboard/index.vue';
import SegmentsPage from '@/views/analytics/segments/index.vue';
import UsageTrendPage from '@/views/analytics/usage-trend/index.vue';
import { flush, mountPage } from './support/mount';

vi.mock('vue-echarts', () => ({ default: { name: 'VChart', render: () => h('div', { class: 'v-chart' }) } }));

const VIEW = ['analytics.view', 'customers.view', 'billing.view'];
const emptyPage = { items: [], total: 0, page: 1, page_size: 20 };
const zero = '0.00';
const dashboard: Dashboard = {
  period: '2026-11', as_of: '2026-12-06', receivable: zero, received: zero, collected: zero, outstanding: zero, collection_rate: null,
  overdue: { total: zero, buckets: { '1-30': zero, '31-60': zero, '61-90': zero, '90+': zero } },
  new_customers: 0, lost_customers: 0, usage_by_series: { X: '0', N: '0', L: '0' }, top_customers: [], trend: [],
};
const disposition = (name: string) => ({ 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}` });

let mock: MockAdapter;
let saved: string[];
let notified: string[];
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  saved = [];
  notified = [];
  configureHttp({ notify: (message) => notified.push(message) });
  URL.createObjectURL = vi.fn(() => 'blob:test');
  URL.revokeObjectURL = vi.fn();
  vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
    saved.push(this.download);
  });
});
afterEach(() => {
  mock.restore();
  vi.restoreAllMocks();
  configureHttp({});
  document.querySelectorAll('.arco-trigger-popup').forEach((n) => n.remove());
});

async function click(el: Element | null | undefined) {
  if (!el) throw new Error('nothing to click');
  (el as HTMLElement).click();
  await flush();
}
/** Opens the page's 导出 menu and answers the file kinds it offers. */
async function openMenu(el: ParentNode, testId: string) {
  await click(el.querySelector(`[data-testid="${testId}"]`));
  return [...document.querySelectorAll('.arco-dropdown-option [data-testid^="export-"]')].map((o) => o.textContent?.trim());
}
const exportRequest = (path: string) => mock.history.get?.find((r) => r.url === `/analytics/${path}/export`);

describe('analytics 导出', () => {
  it('客户分层: Excel, CSV or PDF of the applied filters, every page, saved under the server’s name', async () => {
    mock.onGet('/analytics/segments').reply(200, { ...emptyPage, period: '2026-11', total_revenue: '0.00', counts: { A: 0, B: 0, C: 0 } });
    mock.onGet('/analytics/segments/export').reply(200, new Blob(['%PDF']), disposition('客户分层-2026-11.pdf'));
    const el = await mountPage('/analytics/segments?tier=A&period=2026-11&page=2', SegmentsPage, VIEW);
    expect(await openMenu(el, 'export-segments')).toEqual(['导出 Excel（.xlsx）', '导出 CSV（.csv）', '导出 PDF（.pdf）']);
    await click(document.querySelector('[data-testid="export-pdf"]'));
    expect(exportRequest('segments')?.params).toEqual({ tier: 'A', period: '2026-11', format: 'pdf' });
    expect(exportRequest('segments')?.responseType).toBe('blob');
    expect(saved).toEqual(['客户分层-2026-11.pdf']);
    expect(document.body.textContent).toContain('已导出「客户分层-2026-11.pdf」');
  });

  it('流失预警 and 信用评分: their own filters and the day they are counted on', async () => {
    mock.onGet('/analytics/churn-risk').reply(200, { ...emptyPage, as_of: '2026-12-06', counts: { high: 0, medium: 0 } });
    mock.onGet('/customers/options/owners').reply(200, []);
    mock.onGet('/analytics/churn-risk/export').reply(200, new Blob(['x']), disposition('流失预警.xlsx'));
    const churn = await mountPage('/analytics/churn?risk=high&owner_id=3&as_of=2026-12-01', ChurnPage, VIEW);
    await openMenu(churn, 'export-churn');
    await click(document.querySelector('[data-testid="export-xlsx"]'));
    expect(exportRequest('churn-risk')?.params).toEqual({ risk: 'high', owner_id: '3', as_of: '2026-12-01', format: 'xlsx' });

    mock.onGet('/analytics/credit-scores').reply(200, { ...emptyPage, as_of: '2026-12-06' });
    mock.onGet('/analytics/credit-scores/export').reply(200, new Blob(['x']), disposition('信用评分.csv'));
    const credit = await mountPage('/analytics/credit?grade=良&q=甲', CreditPage, VIEW);
    await openMenu(credit, 'export-credit');
    await click(document.querySelector('[data-testid="export-csv"]'));
    expect(exportRequest('credit-scores')?.params).toEqual({ q: '甲', grade: '良', format: 'csv' });
    expect(saved).toEqual(['流失预警.xlsx', '信用评分.csv']);
  });

  it('经营看板: the month on screen, the server’s current one when the URL names none', async () => {
    mock.onGet('/analytics/dashboard').reply(200, dashboard);
    mock.onGet('/analytics/dashboard/export').reply(200, new Blob(['x']), disposition('经营看板-2026-11.xlsx'));
    const el = await mountPage('/analytics/dashboard', DashboardPage, VIEW);
    await openMenu(el, 'export-dashboard');
    await click(document.querySelector('[data-testid="export-xlsx"]'));
    expect(exportRequest('dashboard')?.params).toEqual({ period: '2026-11', format: 'xlsx' });
    expect(saved).toEqual(['经营看板-2026-11.xlsx']);
  });

  it('经营看板: a refused export says why in the server’s words, and saves nothing', async () => {
    mock.onGet('/analytics/dashboard').reply(200, dashboard);
    const body = JSON.stringify({ error: { code: 'FORBIDDEN', message: '无权导出该报表', details: [] } });
    mock.onGet('/analytics/dashboard/export').reply(403, new Blob([body], { type: 'application/json' }));
    const el = await mountPage('/analytics/dashboard?period=2026-11', DashboardPage, VIEW);
    await openMenu(el, 'export-dashboard');
    await click(document.querySelector('[data-testid="export-csv"]'));
    expect(exportRequest('dashboard')?.params).toEqual({ period: '2026-11', format: 'csv' });
    expect(notified).toEqual(['无权导出该报表']);
    expect(saved).toEqual([]);
  });

  it('用量趋势: the customer, series, span and the month the chart ends at', async () => {
    mock.onGet('/analytics/usage-trend').reply(200, { period: '2026-11', months: 6, customer_id: 7, series: 'X', points: [] });
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '甲物业' });
    mock.onGet('/analytics/usage-trend/export').reply(200, new Blob(['x']), disposition('用量趋势.pdf'));
    const el = await mountPage('/analytics/usage-trend?customer_id=7&series=X&months=6', UsageTrendPage, VIEW);
    await openMenu(el, 'export-usage-trend');
    await click(document.querySelector('[data-testid="export-pdf"]'));
    expect(exportRequest('usage-trend')?.params).toEqual({ months: 6, customer_id: '7', series: 'X', period: '2026-11', format: 'pdf' });
    expect(saved).toEqual(['用量趋势.pdf']);
  });
});
