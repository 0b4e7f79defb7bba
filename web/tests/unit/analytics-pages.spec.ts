/**
 * The analytics pages against the contract's shapes (the HTTP client answered by a
 * mock): 经营看板's figures and the lists they open, 客户分层's tier counts as filters,
 * 流失预警's flags with their evidence, 信用评分 with and without a score, and the home
 * page per role (management: the dashboard; sales: their customers at risk).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { h, type Component } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView, type RouteRecordRaw } from 'vue-router';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { ChurnRisk, CreditScoreRow, Dashboard, HomeSummary, Segments, User } from '@/api/types';
import i18n from '@/locale';
import { appRoutes } from '@/router/routes';
import { useAuthStore } from '@/store';
import ChurnPage from '@/views/analytics/churn/index.vue';
import CreditPage from '@/views/analytics/credit/index.vue';
import DashboardPage from '@/views/analytics/dashboard/index.vue';
import SegmentsPage from '@/views/analytics/segments/index.vue';
import UsageTrendPage from '@/views/analytics/usage-trend/index.vue';
import CreditTab from '@/views/customers/detail/components/CreditTab.vue';
import Workplace from '@/views/workplace/index.vue';
import { flush, mountApp } from './support/mount';
import { userFixture } from './support/users';

// Charts need a canvas, which happy-dom lacks: stand in for vue-echarts.
vi.mock('vue-echarts', () => ({ default: { name: 'VChart', render: () => h('div', { class: 'v-chart' }) } }));

const MANAGEMENT = ['analytics.view', 'customers.view', 'billing.view', 'billing.manage', 'payments.view', 'usage.view'];
const SALES = ['analytics.view', 'customers.view', 'billing.view', 'payments.view'];

const dashboard = (over: Partial<Dashboard> = {}): Dashboard => ({
  period: '2026-11',
  as_of: '2026-12-06',
  receivable: '12345.50',
  received: '9000.00',
  collected: '10000.00',
  outstanding: '2345.50',
  collection_rate: '0.8100',
  overdue: { total: '1500.00', buckets: { '1-30': '1000.00', '31-60': '500.00', '61-90': '0.00', '90+': '0.00' } },
  new_customers: 3,
  lost_customers: 1,
  usage_by_series: { X: '1200.5', N: '30', L: '0' },
  top_customers: [{ customer_id: 7, customer_code: 'C000007', company_name: '甲物业', revenue: '5000.00' }],
  trend: [
    { period: '2026-10', receivable: '1000.00', collected: '900.00' },
    { period: '2026-11', receivable: '12345.50', collected: '10000.00' },
  ],
  ...over,
});

const segments: Segments = {
  period: '2026-11',
  total_revenue: '20000.00',
  counts: { A: 1, B: 2, C: 5 },
  items: [{ customer_id: 7, customer_code: 'C000007', company_name: '甲物业', revenue_12m: '14000.00', value_tier: 'A', trend: '增长', growth: '0.1250' }],
  total: 1,
  page: 1,
  page_size: 20,
};

const churn: ChurnRisk = {
  as_of: '2026-12-06',
  counts: { high: 1, medium: 0 },
  items: [
    {
      customer_id: 9, customer_code: 'C000009', company_name: '乙公寓', account_status: 'active', sales_owner: { id: 3, display_name: '李四' },
      risk: 'high', flags: [{ code: 'idle', evidence: '最近 15 天没有用量（上次用量 2026-11-18）' }, { code: 'contract_ending', evidence: '合同 2027-01-10 到期' }],
    },
  ],
  total: 1,
  page: 1,
  page_size: 20,
};

const score = (over: Partial<CreditScoreRow> = {}): CreditScoreRow => ({
  customer_id: 7, customer_code: 'C000007', company_name: '甲物业', as_of: '2026-12-06', score: 78, grade: '良',
  factors: { on_time: '0.7500', late_days: '12.5000', overdue_ratio: '0.2500', tenure_months: 18 }, window_bills: 8,
  ...over,
});

const user = (role: User['role']): User => userFixture({ username: 'zhang', display_name: '张三', role });

/**
 * `page` at `path`, among the app's real routes (so a link knows the permission of the
 * page it opens) for a user with `permissions`.
 */
async function mount(path: string, page: Component, permissions: string[], role: User['role'] = 'management') {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  auth.user = user(role);
  auth.permissions = permissions;
  const own = path.split('?')[0]!;
  const others: RouteRecordRaw[] = appRoutes
    .filter((r) => `/${r.path}` !== own && !r.path.startsWith(':'))
    .map((r) => ({ ...r, path: `/${r.path}`, component: { render: () => null } }) as RouteRecordRaw);
  const router = createRouter({ history: createMemoryHistory(), routes: [{ path: own, component: page }, ...others] });
  await router.push(path);
  const el = await mountApp({ render: () => h(RouterView) }, router);
  await flush();
  return { el, router };
}

const href = (el: ParentNode, selector: string) => el.querySelector(selector)?.getAttribute('href') ?? null;
const value = (el: ParentNode, testId: string) => el.querySelector(`[data-testid="${testId}"] .value`)?.textContent?.trim();

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => mock.restore());

describe('经营看板', () => {
  beforeEach(() => {
    mock.onGet('/analytics/dashboard').reply(200, dashboard());
    mock.onGet('/analytics/customers').reply(200, [{ customer_id: 11, customer_code: 'C000011', company_name: '丙酒店', at: '2026-11-20' }]);
  });

  it('asks for the URL’s month and shows its figures as the server wrote them, the rate as a percentage', async () => {
    const { el } = await mount('/analytics/dashboard?period=2026-11', DashboardPage, MANAGEMENT);
    expect(mock.history.get?.find((r) => r.url === '/analytics/dashboard')?.params).toEqual({ period: '2026-11' });
    expect(value(el, 'figure-receivable')).toBe('12,345.50');
    expect(value(el, 'figure-received')).toBe('9,000.00');
    expect(value(el, 'figure-collected')).toBe('10,000.00');
    expect(value(el, 'figure-outstanding')).toBe('2,345.50');
    expect(value(el, 'figure-collection_rate')).toBe('81.0%');
    expect(value(el, 'figure-overdue')).toBe('1,500.00');
    expect(value(el, 'figure-new_customers')).toBe('3');
    expect(value(el, 'figure-lost_customers')).toBe('1');
    expect(el.querySelector('[data-bucket="31-60"] [data-amount="bucket-31-60"]')?.getAttribute('data-value')).toBe('500.00');
    expect(el.querySelector('[data-testid="dashboard-top"] [data-customer="C000007"]')?.textContent).toContain('甲物业');
  });

  it('links every figure to the list behind it', async () => {
    const { el, router } = await mount('/analytics/dashboard?period=2026-11', DashboardPage, MANAGEMENT);
    const resolved = (path: string, query: Record<string, string>) => router.resolve({ path, query }).href;
    expect(href(el, '[data-testid="figure-receivable"]')).toBe(resolved('/bills', { period: '2026-11', status: 'issued,partially_paid,paid' }));
    expect(href(el, '[data-testid="figure-outstanding"]')).toBe(resolved('/bills', { period: '2026-11', status: 'issued,partially_paid' }));
    expect(href(el, '[data-testid="figure-received"]')).toBe(resolved('/payments', { from: '2026-11-01', to: '2026-11-30' }));
    expect(href(el, '[data-testid="figure-overdue"]')).toBe(resolved('/bills', { overdue: 'true' }));
    expect(href(el, '[data-testid="figure-new_customers"]')).toBe(resolved('/customers', { signed_from: '2026-11-01', signed_to: '2026-11-30' }));
    expect(href(el, '[data-bucket="1-30"]')).toBe(resolved('/receivables/aging', { as_of: '2026-12-06', overdue_only: 'true' }));
    expect(href(el, '[data-testid="dashboard-usage"] [data-series="N"]')).toBe(resolved('/usage/records', { month: '2026-11', series: 'N' }));
    expect(href(el, '[data-testid="dashboard-top"] [data-customer="C000007"] a')).toBe(resolved('/customers/7', { tab: 'bills' }));
  });

  it('lists the lost customers of the month in a dialog', async () => {
    const { el } = await mount('/analytics/dashboard?period=2026-11', DashboardPage, MANAGEMENT);
    el.querySelector<HTMLElement>('[data-testid="figure-lost_customers"]')?.click();
    await flush();
    expect(mock.history.get?.find((r) => r.url === '/analytics/customers')?.params).toEqual({ period: '2026-11', kind: 'lost' });
    const list = document.querySelector('[data-testid="lost-customers"]');
    expect(list?.textContent).toContain('丙酒店');
    expect(list?.textContent).toContain('注销于 2026-11-20');
  });

  it('links nothing a sales user may not open (usage), and shows “—” for a rate with nothing billed', async () => {
    mock.onGet('/analytics/dashboard').reply(200, dashboard({ collection_rate: null }));
    const { el } = await mount('/analytics/dashboard', DashboardPage, SALES, 'sales');
    expect(mock.history.get?.find((r) => r.url === '/analytics/dashboard')?.params).toEqual({});
    expect(value(el, 'figure-collection_rate')).toBe('—');
    expect(el.querySelector('[data-testid="dashboard-usage"] [data-series="N"]')?.tagName).toBe('DIV');
    expect(el.querySelector('[data-testid="figure-receivable"]')?.tagName).toBe('A');
  });

  it('says why the server refused the month, in its words', async () => {
    mock.onGet('/analytics/dashboard').reply(400, { error: { code: 'VALIDATION_FAILED', message: '月份不能晚于本月', details: [] } });
    const { el } = await mount('/analytics/dashboard?period=2099-01', DashboardPage, MANAGEMENT);
    expect(el.querySelector('[data-testid="dashboard-error"]')?.textContent).toContain('月份不能晚于本月');
  });
});

describe('客户分层, 流失预警, 信用评分', () => {
  it('客户分层: counts per tier filter the list through the URL; trend and growth on the row', async () => {
    mock.onGet('/analytics/segments').reply(200, segments);
    const { el, router } = await mount('/analytics/segments?trend=增长', SegmentsPage, MANAGEMENT);
    expect(mock.history.get?.at(-1)?.params).toMatchObject({ trend: '增长', page: 1, page_size: 20 });
    const counts = el.querySelectorAll('[data-testid="tier-counts"] [data-key]');
    expect([...counts].map((c) => c.querySelector('.value')?.textContent?.trim())).toEqual(['1', '2', '5']);
    (counts[1] as HTMLElement).click();
    await flush();
    expect(router.currentRoute.value.query).toMatchObject({ tier: 'B', trend: '增长' });
    expect(mock.history.get?.at(-1)?.params).toMatchObject({ tier: 'B', trend: '增长' });
    const row = el.querySelector('[data-testid="segments-table"] [data-trend]');
    expect(row?.textContent).toContain('增长');
    expect(row?.textContent).toContain('+12.5%');
    expect(el.querySelector('[data-testid="segments-table"] [data-tier="A"]')?.textContent?.trim()).toBe('A 类');
  });

  it('流失预警: each flag as a tag with its evidence, the sales owner, a link to the customer', async () => {
    mock.onGet('/analytics/churn-risk').reply(200, churn);
    mock.onGet('/customers/options/owners').reply(200, []);
    const { el } = await mount('/analytics/churn?risk=high', ChurnPage, MANAGEMENT);
    expect(mock.history.get?.find((r) => r.url === '/analytics/churn-risk')?.params).toMatchObject({ risk: 'high' });
    const table = el.querySelector('[data-testid="churn-table"]');
    expect(table?.querySelector('[data-flag="idle"]')?.textContent).toContain('无用量');
    expect(table?.querySelector('[data-flag="idle"]')?.textContent).toContain('最近 15 天没有用量（上次用量 2026-11-18）');
    expect(table?.querySelector('[data-flag="contract_ending"]')?.textContent).toContain('合同 2027-01-10 到期');
    expect(table?.textContent).toContain('李四');
    expect(table?.textContent).toContain('高风险');
    expect(href(el, '[data-testid="churn-table"] [data-customer="C000009"]')).toBe('/customers/9');
    expect(el.querySelector('[data-testid="churn-as-of"]')?.textContent).toContain('2026-12-06');
  });

  it('信用评分: the score, its grade and the factors in their units; 资料不足 without a score', async () => {
    mock.onGet('/analytics/credit-scores').reply(200, {
      as_of: '2026-12-06',
      items: [score(), score({ customer_id: 8, customer_code: 'C000008', company_name: '丁物业', score: null, grade: '资料不足', window_bills: 0,
        factors: { on_time: null, late_days: null, overdue_ratio: null, tenure_months: 2 } })],
      total: 2, page: 1, page_size: 20,
    });
    const { el } = await mount('/analytics/credit?grade=良', CreditPage, MANAGEMENT);
    expect(mock.history.get?.at(-1)?.params).toMatchObject({ grade: '良' });
    const rows = el.querySelectorAll('[data-testid="credit-table"] tbody tr');
    expect(rows[0]?.textContent).toContain('78');
    expect(rows[0]?.querySelector('[data-grade]')?.textContent?.trim()).toBe('良');
    expect([...(rows[0]?.querySelectorAll('[data-factor]') ?? [])].map((f) => f.textContent)).toEqual(['75.0%', '12.5 天', '0.25 倍', '18 个月']);
    expect(rows[1]?.querySelector('[data-grade]')?.textContent?.trim()).toBe('资料不足');
    expect(rows[1]?.querySelector('[data-factor="on_time"]')?.textContent).toBe('—');
  });

  it('the customer’s 信用评分 tab: the score with its meaning, or 资料不足', async () => {
    mock.onGet('/customers/7/credit-score').reply(200, score());
    const { el } = await mount('/c', { render: () => h(CreditTab, { customerId: 7 }) }, MANAGEMENT);
    expect(el.querySelector('[data-testid="customer-credit"] [data-score]')?.getAttribute('data-score')).toBe('78');
    expect(el.textContent).toContain('依据近 12 个月到期的 8 张账单，截至 2026-12-06');
    expect(el.textContent).toContain('在到期日当天或之前付清的比例');

    mock.onGet('/customers/8/credit-score').reply(200, score({ customer_id: 8, score: null, grade: '资料不足', window_bills: 0 }));
    const none = await mount('/c', { render: () => h(CreditTab, { customerId: 8 }) }, MANAGEMENT);
    expect(none.el.textContent).toContain('资料不足');
    expect(none.el.textContent).toContain('近 12 个月没有到期的账单');
  });

  it('用量趋势: the URL’s filters asked for, 环比 and 同比 signed, newest month first', async () => {
    mock.onGet('/analytics/usage-trend').reply(200, {
      period: '2026-11', months: 6, customer_id: 7, series: 'X',
      points: [
        { period: '2026-10', quantity: '100', mom: null, yoy: null },
        { period: '2026-11', quantity: '80', mom: '-0.2000', yoy: '0.0500' },
      ],
    });
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '甲物业' });
    const { el } = await mount('/analytics/usage-trend?customer_id=7&series=X&months=6', UsageTrendPage, MANAGEMENT);
    expect(mock.history.get?.find((r) => r.url === '/analytics/usage-trend')?.params).toEqual({ months: 6, customer_id: '7', series: 'X' });
    const rows = [...el.querySelectorAll('[data-testid="usage-trend-table"] tbody tr')].map((r) => [...r.querySelectorAll('td')].map((td) => td.textContent?.trim()));
    expect(rows).toEqual([
      ['2026-11', '80', '-20.0%', '+5.0%'],
      ['2026-10', '100', '—', '—'],
    ]);
  });
});

describe('home pages', () => {
  beforeEach(() => {
    mock.onGet('/readyz').reply(200, { status: 'ok', database: 'ok' });
    mock.onGet('/analytics/dashboard').reply(200, dashboard());
    mock.onGet('/analytics/churn-risk').reply(200, churn);
    const money = { d1_30: '0.00', d31_60: '0.00', d61_90: '0.00', d90_plus: '0.00', net: '0.00', not_due: '0.00', outstanding: '0.00', overdue: '0.00', unapplied: '0.00' };
    const summary: HomeSummary = {
      as_of: '2026-12-06', scope: 'own', receivables: money, top_overdue: [],
      customers: { active: 1, arrears: 0, closed: 0, suspended: 0, total: 1, trial: 0 },
      last_period: { period: '2026-11', billed: '0.00', bills: 0, collected: '0.00', collection_rate: null },
      receipts_this_month: { period: '2026-12', amount: '0.00', count: 0 },
    };
    mock.onGet('/home/summary').reply(200, summary);
    // The month close is not what these tests look at: it stays loading.
    mock.onGet('/close/overview').reply(() => new Promise(() => undefined));
    mock.onGet('/jobs').reply(200, []);
  });

  it('shows management the dashboard with the month close, not the summary it replaces', async () => {
    const { el } = await mount('/workplace', Workplace, [...MANAGEMENT, 'jobs.view'], 'management');
    expect(el.querySelector('[data-testid="dashboard"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="home-summary"]')).toBeNull();
    expect(mock.history.get?.some((r) => r.url === '/close/overview')).toBe(true);
    expect(el.querySelector('[data-testid="home-at-risk"]')).toBeNull();
  });

  it('shows sales their customers at risk, high first, beside their summary', async () => {
    const { el } = await mount('/workplace', Workplace, SALES, 'sales');
    expect(el.querySelector('[data-testid="dashboard"]')).toBeNull();
    expect(el.querySelector('[data-testid="home-summary"]')).not.toBeNull();
    const card = el.querySelector('[data-testid="home-at-risk"]');
    expect(card?.querySelector('[data-testid="churn-card"]')?.getAttribute('data-risk')).toBe('high');
    expect(card?.textContent).toContain('乙公寓');
    expect(card?.textContent).toContain('最近 15 天没有用量');
    expect(mock.history.get?.find((r) => r.url === '/analytics/churn-risk')?.params).toEqual({ page: 1, page_size: 5 });
  });

  it('shows operations the workplace as before, with a shortcut to the dashboard', async () => {
    const { el } = await mount('/workplace', Workplace, [...MANAGEMENT, 'jobs.view'], 'operations');
    expect(el.querySelector('[data-testid="dashboard"]')).toBeNull();
    expect(el.querySelector('[data-testid="home-summary"]')).not.toBeNull();
    expect(el.querySelector('a[href="/analytics/dashboard"]')).not.toBeNull();
  });
});
