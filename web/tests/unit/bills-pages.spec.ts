/**
 * The bill pages against the contract's shapes (docs/api/bills.md), the HTTP client
 * answered by a mock: what they ask for, what they show, and the key interactions
 * (generate, batch issue with the acknowledgement, issue, void, credit, manual bill).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, h, nextTick, type Component } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView, type RouteRecordRaw } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { Bill, BillRun, BillSummary } from '@/api/types';
import permission from '@/directives/permission';
import i18n from '@/locale';
import { useAuthStore } from '@/store';
import BillList from '@/views/bills/index.vue';
import BillGenerate from '@/views/bills/generate/index.vue';
import BillDetail from '@/views/bills/detail/index.vue';
import BillForm from '@/views/bills/form/index.vue';
import BillsTab from '@/views/customers/detail/components/BillsTab.vue';

const MANAGE = ['billing.view', 'billing.manage', 'customers.view'];
const VIEW = ['billing.view', 'customers.view'];

const summary = (over: Partial<BillSummary> = {}): BillSummary => ({
  id: 12,
  bill_no: 'B202610-000012',
  customer: { id: 7, customer_code: 'C000007', company_name: '甲物业' },
  customer_id: 7,
  period: '2026-10',
  kind: 'auto',
  status: 'draft',
  plan: { id: 3, name: '标准方案', version: 2 },
  subtotal: '4084.00',
  credited: '0.00',
  total: '4084.00',
  allocated: '0.00',
  outstanding: '4084.00',
  due_date: null,
  overdue: false,
  overdue_days: 0,
  lines: [],
  warnings: [],
  warnings_acknowledged: null,
  late_usage: null,
  remarks: null,
  issued_at: null,
  issued_by: null,
  voided_at: null,
  voided_by: null,
  void_reason: null,
  created_at: '2026-11-01T02:00:00Z',
  updated_at: '2026-11-01T02:00:00Z',
  version: 1,
  credit_notes: [],
  ...over,
});

const spike = { code: 'USAGE_SPIKE' as const, message: 'X 系列用量 6000 是前 3 个月平均 1000 的 3 倍以上', series: 'X' as const };

const fullBill = (over: Partial<Bill> = {}): Bill => ({
  ...summary({ warnings: [spike] }),
  lines: [
    {
      kind: 'usage', series: 'X', usage: '6000', description: null, quantity: null, unit_price: null, raw_amount: '2400.0000', amount: '2400.00',
      tiers: [
        { from: '0', to: '1000', quantity: '1000', unit_price: '0.5000', amount: '500.0000' },
        { from: '1000', to: '5000', quantity: '4000', unit_price: '0.4000', amount: '1600.0000' },
        { from: '5000', to: null, quantity: '1000', unit_price: '0.3000', amount: '300.0000' },
      ],
    },
    { kind: 'minimum_topup', series: null, usage: null, description: null, quantity: null, unit_price: null, raw_amount: '1684.0000', amount: '1684.00', tiers: [] },
  ],
  credit_notes: [],
  ...over,
});

const list = (items: BillSummary[], totals: Partial<BillSummary> & { count: number }) => ({
  items,
  total: items.length,
  page: 1,
  page_size: 20,
  totals: { subtotal: '0.00', credited: '0.00', total: '0.00', allocated: '0.00', outstanding: '0.00', ...totals },
});

const run: BillRun = {
  run_id: 5, period: '2026-10', created: 2, updated: 0, unchanged: 0, voided: 0, kept_issued: 1, late_usage: 0,
  skipped: [{ customer_id: 9, customer_code: 'C000009', company_name: '乙公寓', reason: 'CUSTOMER_TRIAL', message: '试用客户不出账' }],
  skipped_count: 1, warnings: 1, duration_ms: 420, started_at: '2026-11-01T02:00:00Z', actor_name: '财务', customer_ids: null,
};

const flush = async (rounds = 6) => {
  for (let i = 0; i < rounds; i += 1) {
    await new Promise((r) => setTimeout(r, 0));
    await nextTick();
  }
};

async function mount(routes: RouteRecordRaw[], path: string, permissions: string[]) {
  setActivePinia(createPinia());
  useAuthStore().permissions = permissions;
  const router = createRouter({ history: createMemoryHistory(), routes: [...routes, { path: '/:rest(.*)*', component: { render: () => null } }] });
  await router.push(path);
  const el = document.createElement('div');
  document.body.appendChild(el);
  const app = createApp({ render: () => h(RouterView) });
  app.use(ArcoVue).use(i18n).use(router).directive('permission', permission).mount(el);
  await flush();
  return {
    el,
    router,
    unmount: () => {
      app.unmount();
      el.remove();
    },
  };
}

const page = (component: Component, path: string) => [{ path, component }];
const modal = (testId: string) => document.querySelector<HTMLElement>(`[data-testid="${testId}"]`);
const ok = async (dialog: HTMLElement | null) => {
  dialog?.querySelector<HTMLButtonElement>('.arco-modal-footer .arco-btn-primary')?.click();
  await flush();
};
const click = async (el: Element | null | undefined) => {
  (el as HTMLElement | null)?.click();
  await flush();
};
function type(el: Element | null | undefined, value: string) {
  const input = el as HTMLInputElement | HTMLTextAreaElement;
  input.value = value;
  input.dispatchEvent(new Event('input', { bubbles: true }));
}
/** An Arco input puts `data-field` on its wrapper; the native control is inside. */
const field = (root: ParentNode | null | undefined, name: string) =>
  root?.querySelector(`[data-field="${name}"] input, [data-field="${name}"] textarea, input[data-field="${name}"], textarea[data-field="${name}"]`);
const body = (config: { data?: unknown }) => JSON.parse(String(config.data)) as Record<string, unknown>;

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => mock.restore());

describe('账单列表', () => {
  it('sends the URL’s filters, shows the overdue flag, warnings and the totals of the whole filter', async () => {
    mock.onGet('/bills').reply(200, list(
      [
        summary({ id: 1, bill_no: 'B202609-000001', status: 'issued', overdue: true, overdue_days: 12, due_date: '2026-10-15', outstanding: '1234567.50', total: '1234567.50' }),
        summary({ id: 2, warnings: [spike] }),
      ],
      { count: 57, total: '9876543.21', outstanding: '5000.00' },
    ));
    const { el, unmount } = await mount(page(BillList, '/bills'), '/bills?status=issued,partially_paid&overdue=true&period=2026-09', MANAGE);
    expect(mock.history.get?.[0]?.params).toEqual({ status: 'issued,partially_paid', overdue: 'true', period: '2026-09', page: 1, page_size: 20 });
    expect(el.querySelector('[data-testid="overdue"]')?.textContent).toBe('逾期 12 天');
    expect(el.querySelector('[data-bill-no="B202609-000001"]')?.getAttribute('href')).toBe('/bills/1');
    expect(el.querySelector('[data-amount="outstanding"][data-value="1234567.50"]')?.textContent).toBe('1,234,567.50');
    expect(el.querySelector('[data-warning="USAGE_SPIKE"]')?.textContent).toContain('用量激增');
    expect(el.querySelector('.arco-table-tr .has-warnings, tr.has-warnings')).not.toBeNull();
    const totals = el.querySelector('.arco-table-tr-summary');
    expect(totals?.querySelector('[data-testid="bills-totals"]')?.textContent).toBe('合计 57 张（作废除外）');
    expect(totals?.querySelector('[data-amount="total"]')?.getAttribute('data-value')).toBe('9876543.21');
    expect(el.querySelector('[data-testid="go-generate"]')).not.toBeNull();
    unmount();
  });

  it('exports what the list shows, in the chosen format, without paging', async () => {
    mock.onGet('/bills').reply(200, list([summary()], { count: 1 }));
    mock.onGet('/bills/export').reply(200, new Blob(['x']), { 'content-disposition': "attachment; filename*=UTF-8''%E8%B4%A6%E5%8D%95.xlsx" });
    URL.createObjectURL = vi.fn(() => 'blob:test');
    URL.revokeObjectURL = vi.fn();
    const { el, unmount } = await mount(page(BillList, '/bills'), '/bills?q=甲&has_warnings=true&page=2', MANAGE);
    await click(el.querySelector('[data-testid="export-bills"]'));
    await click(document.querySelector('[data-testid="export-csv"]'));
    expect(mock.history.get?.find((r) => r.url === '/bills/export')?.params).toEqual({ q: '甲', has_warnings: 'true', format: 'csv' });
    unmount();
  });

  it('hides generation and manual bills from a viewer', async () => {
    mock.onGet('/bills').reply(200, list([], { count: 0 }));
    const { el, unmount } = await mount(page(BillList, '/bills'), '/bills', VIEW);
    expect(el.querySelector('[data-testid="go-generate"]')).toBeNull();
    expect(el.querySelector('[data-testid="create-manual-bill"]')).toBeNull();
    expect(el.querySelector('[data-testid="export-bills"]')).not.toBeNull();
    unmount();
  });
});

describe('账单生成', () => {
  it('generates the period, shows the run and the skipped customers, and reviews the drafts', async () => {
    mock.onGet('/bills').reply(200, list([summary({ id: 21, warnings: [spike] }), summary({ id: 22, bill_no: 'B202610-000022' })], { count: 2 }));
    mock.onGet('/bills/runs').reply(200, { items: [], total: 0, page: 1, page_size: 10 });
    mock.onPost('/bills/generate').reply(200, run);
    const { el, unmount } = await mount(page(BillGenerate, '/bills/generate'), '/bills/generate?period=2026-10', MANAGE);
    expect(mock.history.get?.find((r) => r.url === '/bills')?.params).toMatchObject({ period: '2026-10', status: 'draft' });
    expect(mock.history.get?.find((r) => r.url === '/bills/runs')?.params).toMatchObject({ period: '2026-10' });
    expect(el.querySelector('[data-warning-message="USAGE_SPIKE"]')?.textContent).toBe(spike.message);

    await click(el.querySelector('[data-testid="generate-bills"]'));
    expect(body(mock.history.post?.[0] ?? {})).toEqual({ period: '2026-10' });
    const result = el.querySelector('[data-testid="run-result"]');
    expect(result?.querySelector('[data-count="created"]')?.getAttribute('data-value')).toBe('2');
    expect(result?.querySelector('[data-count="kept_issued"]')?.getAttribute('data-value')).toBe('1');
    expect(result?.querySelector('[data-testid="run-skipped"]')?.textContent).toContain('试用客户不出账');
    expect(result?.querySelector('[data-reason="CUSTOMER_TRIAL"]')?.textContent).toBe('试用客户');
    // The drafts and the runs are loaded again after the run.
    expect(mock.history.get?.filter((r) => r.url === '/bills/runs').length).toBe(2);
    unmount();
  });

  it('shows the server’s message when the run is refused', async () => {
    mock.onGet('/bills').reply(200, list([], { count: 0 }));
    mock.onGet('/bills/runs').reply(200, { items: [], total: 0, page: 1, page_size: 10 });
    mock.onPost('/bills/generate').reply(400, {
      error: { code: 'VALIDATION_FAILED', message: '请求参数有误', details: [{ field: 'period', code: 'PERIOD_IN_FUTURE', message: '账期不能晚于本月' }] },
    });
    const { el, unmount } = await mount(page(BillGenerate, '/bills/generate'), '/bills/generate?period=2026-10', MANAGE);
    await click(el.querySelector('[data-testid="generate-bills"]'));
    expect(el.querySelector('[data-testid="generate-error"]')?.textContent).toBe('请求参数有误：账期不能晚于本月');
    unmount();
  });

  it('issues the selected drafts only after 已核对警告 when some carry warnings, and lists the skipped', async () => {
    const drafts = list([summary({ id: 21, warnings: [spike] }), summary({ id: 22, bill_no: 'B202610-000022' })], { count: 2 });
    mock.onGet('/bills').reply(200, drafts);
    mock.onGet('/bills/runs').reply(200, { items: [], total: 0, page: 1, page_size: 10 });
    mock.onPost('/bills/batch-issue').reply(200, {
      issued: 1,
      skipped: [{ bill_id: 22, bill_no: 'B202610-000022', code: 'BILL_NOT_PRICED', message: '客户没有生效的定价方案，账单无法出账；请分配定价方案后重新生成' }],
    });
    const { el, unmount } = await mount(page(BillGenerate, '/bills/generate'), '/bills/generate?period=2026-10', MANAGE);

    // Select every draft of the period (page by page through the API).
    await click(el.querySelector('[data-testid="select-all-drafts"]'));
    expect(mock.history.get?.at(-1)?.params).toMatchObject({ period: '2026-10', status: 'draft', page: 1, page_size: 200 });
    expect(el.querySelector('[data-testid="selected-count"]')?.textContent).toBe('已选 2 张');

    await click(el.querySelector('[data-testid="batch-issue"]'));
    const dialog = modal('batch-issue-modal');
    expect(dialog?.querySelector('[data-testid="batch-issue-count"]')?.getAttribute('data-warned')).toBe('1');
    expect(dialog?.textContent).toContain('其中 1 张有校验警告');

    await ok(dialog);
    expect(mock.history.post?.length ?? 0).toBe(0);
    expect(dialog?.querySelector('[data-error-for="acknowledge_warnings"]')?.textContent).toBe('请先核对警告并勾选「已核对警告」');

    await click(dialog?.querySelector('[data-testid="acknowledge-warnings"] input'));
    await ok(dialog);
    expect(body(mock.history.post?.[0] ?? {})).toEqual({ ids: [21, 22], acknowledge_warnings: true });
    const result = el.querySelector('[data-testid="batch-issue-result"]');
    expect(result?.getAttribute('data-issued')).toBe('1');
    expect(result?.querySelector('[data-code="BILL_NOT_PRICED"]')?.textContent).toContain('客户没有生效的定价方案');
    unmount();
  });
});

describe('出账全部无警告草稿', () => {
  it('shows the server\'s count and total, then issues by filter with them', async () => {
    mock.onGet('/bills').reply((config) =>
      config.params?.page_size === 1
        ? [200, list([summary()], { count: 1320, total: '1234567.50' })]
        : [200, list([summary({ id: 21 })], { count: 1 })],
    );
    mock.onGet('/bills/runs').reply(200, { items: [], total: 0, page: 1, page_size: 10 });
    mock.onPost('/bills/batch-issue').reply(200, { matched: 1320, issued: 1320, issued_total: '1234567.50', skipped: [] });
    const { el, unmount } = await mount(page(BillGenerate, '/bills/generate'), '/bills/generate?period=2026-10', MANAGE);
    await click(el.querySelector('[data-testid="issue-all-clean"]'));
    const dialog = modal('issue-all-clean-modal');
    const confirm = dialog?.querySelector('[data-testid="issue-all-clean-confirm"]');
    expect(confirm?.textContent).toContain('全部 1,320 张无警告的草稿，合计 1,234,567.50 元');
    expect(mock.history.get?.at(-1)?.params).toMatchObject({ period: '2026-10', status: 'draft', has_warnings: 'false', page_size: 1 });
    await ok(dialog);
    expect(body(mock.history.post?.[0] ?? {})).toEqual({
      filter: { period: '2026-10', has_warnings: false },
      expected_count: 1320,
      expected_total: '1234567.50',
    });
    expect(el.querySelector('[data-testid="batch-issue-result"]')?.getAttribute('data-issued')).toBe('1320');
    unmount();
  });
});

describe('账单详情', () => {
  const detailRoutes = page(BillDetail, '/bills/:id(\\d+)');
  beforeEach(() => {
    mock.onGet('/bills/12/history').reply(200, { items: [], total: 0, page: 1, page_size: 10 });
  });

  it('shows the header, warnings, lines with their tiers and the amounts', async () => {
    mock.onGet('/bills/12').reply(200, fullBill());
    mock.onGet('/bills/12/usage-days').reply(200, {
      bill_id: 12,
      period: '2026-10',
      series: [
        {
          series: 'X', billed_usage: '6000', recorded_usage: '6000.00', matches_bill: true,
          days: [
            { record_id: 1, day: '2026-10-01', quantity: '4000.00', source: 'api:vendor', revisions: 0 },
            { record_id: 2, day: '2026-10-02', quantity: '2000.00', source: 'manual', revisions: 1 },
          ],
        },
      ],
    });
    const { el, unmount } = await mount(detailRoutes, '/bills/12', MANAGE);
    expect(el.querySelector('[data-testid="bill-no"]')?.textContent).toBe('B202610-000012');
    expect(el.querySelector('[data-testid="bill-status"]')?.textContent).toBe('草稿');
    expect(el.querySelector('[data-testid="bill-customer"]')?.getAttribute('href')).toBe('/customers/7?tab=bills');
    expect(el.querySelector('[data-testid="bill-warning-list"] [data-warning="USAGE_SPIKE"]')?.textContent).toContain(spike.message);
    expect(el.querySelector('[data-testid="bill-amounts"] [data-amount="subtotal"]')?.textContent).toBe('4,084.00');
    expect(el.querySelector('[data-line="X"]')?.textContent).toContain('X 系列用量');
    expect(el.querySelector('[data-line="minimum_topup"]')?.textContent).toBe('保底补差');

    // Only the usage line opens, to its tiers.
    const buttons = el.querySelectorAll('[data-testid="bill-lines"] .arco-table-expand-btn');
    expect(buttons.length).toBe(1);
    await click(buttons[0]);
    const tiers = el.querySelector('[data-testid="line-tiers"]');
    expect(tiers?.textContent).toContain('(1000, 5000]');
    expect(tiers?.textContent).toContain('1600.0000');
    // 分档 instead of "—"; the exact amounts at one scale with thousands separators.
    expect(el.querySelector('[data-testid="line-tiered"]')?.textContent).toBe('分档');
    const raw = [...el.querySelectorAll('[data-testid="bill-lines"] .mono.muted[data-value]')].map((e) => e.textContent);
    expect(raw).toEqual(['2,400.0000', '1,684.0000']);
    // Each day behind the line, with its source.
    const days = el.querySelectorAll('[data-testid="line-days"] [data-day]');
    expect([...days].map((d) => d.getAttribute('data-source'))).toEqual(['api:vendor', 'manual']);
    expect(days[0]?.textContent).toContain('接口采集（vendor）');
    expect(days[1]?.textContent).toContain('手工录入');
    expect(el.querySelector('[data-testid="void-bill"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="credit-bill"]')).toBeNull();
    unmount();
  });

  it('issues a draft with warnings only with the acknowledgement', async () => {
    mock.onGet('/bills/12').replyOnce(200, fullBill()).onGet('/bills/12').reply(200, fullBill({ status: 'issued', due_date: '2026-11-15' }));
    mock.onPost('/bills/12/issue').reply(200, fullBill({ status: 'issued' }));
    const { el, unmount } = await mount(detailRoutes, '/bills/12', MANAGE);
    await click(el.querySelector('[data-testid="issue-bill"]'));
    const dialog = modal('issue-modal');
    await ok(dialog);
    expect(mock.history.post?.length ?? 0).toBe(0);
    await click(dialog?.querySelector('[data-testid="acknowledge-warnings"] input'));
    await ok(dialog);
    expect(body(mock.history.post?.[0] ?? {})).toEqual({ acknowledge_warnings: true });
    expect(el.querySelector('[data-testid="bill-status"]')?.textContent).toBe('未结算');
    expect(el.querySelector('[data-testid="bill-due-date"]')?.textContent).toBe('2026-11-15');
    unmount();
  });

  it('refuses to issue a draft without a price plan, saying why', async () => {
    mock.onGet('/bills/12').reply(200, fullBill({ warnings: [{ code: 'NO_PRICE_PLAN', message: '客户在 2026-10 没有生效的定价方案' }], plan: null }));
    const { el, unmount } = await mount(detailRoutes, '/bills/12', MANAGE);
    expect(el.querySelector<HTMLButtonElement>('[data-testid="issue-bill"]')?.disabled).toBe(true);
    unmount();
  });

  it('voids with a reason the client checks first', async () => {
    mock.onGet('/bills/12').reply(200, fullBill());
    mock.onPost('/bills/12/void').reply(200, fullBill({ status: 'void' }));
    const { el, unmount } = await mount(detailRoutes, '/bills/12', MANAGE);
    await click(el.querySelector('[data-testid="void-bill"]'));
    const dialog = modal('void-modal');
    await ok(dialog);
    expect(dialog?.querySelector('[data-error-for="reason"]')?.textContent).toContain('请填写作废原因');
    expect(mock.history.post?.length ?? 0).toBe(0);
    type(field(dialog, 'reason'), ' 重复出账 ');
    await flush();
    await ok(dialog);
    expect(body(mock.history.post?.[0] ?? {})).toEqual({ reason: '重复出账' });
    unmount();
  });

  it('credits at most the outstanding amount, and puts the server’s 409 on the amount', async () => {
    const issued = fullBill({ status: 'issued', warnings: [], outstanding: '100.00', total: '100.00', allocated: '0.00' });
    mock.onGet('/bills/12').reply(200, issued);
    mock.onPost('/bills/12/credit-notes').reply(409, {
      error: { code: 'CREDIT_EXCEEDS_OUTSTANDING', message: '红冲金额 90.00 超过账单未结金额 80.00' },
    });
    const { el, unmount } = await mount(detailRoutes, '/bills/12', MANAGE);
    await click(el.querySelector('[data-testid="credit-bill"]'));
    const dialog = modal('credit-modal');
    type(field(dialog, 'amount'), '100.01');
    type(dialog?.querySelector('textarea'), '设备故障减免');
    await flush();
    await ok(dialog);
    expect(dialog?.querySelector('[data-error-for="amount"]')?.textContent).toContain('红冲金额 100.01 超过账单未结金额 100.00');
    expect(mock.history.post?.length ?? 0).toBe(0);

    type(field(dialog, 'amount'), '90');
    await flush();
    await ok(dialog);
    expect(body(mock.history.post?.[0] ?? {})).toEqual({ amount: '90', reason: '设备故障减免' });
    expect(dialog?.querySelector('[data-error-for="amount"]')?.textContent).toContain('红冲金额 90.00 超过账单未结金额 80.00');
    unmount();
  });

  it('previews the PDF fetched with the token, as an object URL', async () => {
    mock.onGet('/bills/12').reply(200, fullBill());
    mock.onGet('/bills/12/pdf').reply(200, new Blob(['%PDF-1.7'], { type: 'application/pdf' }));
    // happy-dom loads no frame pages (and says so on the console): let it "load" a blank one.
    const settings = (window as unknown as { happyDOM: { settings: { enableIframePageLoading: boolean } } }).happyDOM.settings;
    const loading = settings.enableIframePageLoading;
    settings.enableIframePageLoading = true;
    const objectUrl = 'about:blank';
    const created: Blob[] = [];
    URL.createObjectURL = vi.fn((blob: Blob) => (created.push(blob), objectUrl));
    URL.revokeObjectURL = vi.fn();
    const { el, unmount } = await mount(detailRoutes, '/bills/12', MANAGE);
    await click([...el.querySelectorAll('[data-testid="bill-tabs"] .arco-tabs-tab')].find((t) => t.textContent?.includes('PDF')));
    expect(mock.history.get?.find((r) => r.url === '/bills/12/pdf')?.responseType).toBe('blob');
    expect(created[0]?.type).toBe('application/pdf');
    expect(el.querySelector('[data-testid="bill-pdf-frame"]')?.getAttribute('src')).toBe(objectUrl);
    unmount();
    settings.enableIframePageLoading = loading;
    expect(URL.revokeObjectURL).toHaveBeenCalledWith(objectUrl);
  });

  it('shows the 404 page for a bill outside the caller’s scope', async () => {
    mock.onGet('/bills/12').reply(404, { error: { code: 'NOT_FOUND', message: '账单不存在' } });
    const { el, unmount } = await mount(detailRoutes, '/bills/12', VIEW);
    expect(el.querySelector('[data-testid="bill-detail"]')).toBeNull();
    expect(el.textContent).toContain('页面不存在');
    unmount();
  });
});

describe('手工账单', () => {
  it('computes each line’s amount exactly as typed, sends the lines, and maps the server’s paths', async () => {
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '甲物业' });
    mock.onPost('/bills').replyOnce(400, {
      error: { code: 'VALIDATION_FAILED', message: '账单明细有误', details: [{ field: 'lines[0].unit_price', code: 'OUT_OF_RANGE', message: '单价超出允许范围' }] },
    });
    const { el, unmount } = await mount(page(BillForm, '/bills/new'), '/bills/new?customer_id=7', MANAGE);
    type(field(el, 'lines[0].description'), '安装服务费');
    type(field(el, 'lines[0].quantity'), '3');
    type(field(el, 'lines[0].unit_price'), '0.3350');
    await flush();
    expect(el.querySelector('[data-line-amount]')?.getAttribute('data-line-amount')).toBe('1.01');
    expect(el.textContent).toContain('精确值 1.0050');

    await click(el.querySelector('[data-testid="add-line"]'));
    await click(el.querySelector('[data-line="1"] [data-mode="amount"] input'));
    type(field(el, 'lines[1].description'), '调整');
    type(field(el, 'lines[1].amount'), '12.5');
    await flush();
    expect(el.querySelector('[data-testid="manual-subtotal"]')?.getAttribute('data-value')).toBe('13.51');

    await click(el.querySelector('[data-testid="save-manual-bill"]'));
    const sent = body(mock.history.post?.[0] ?? {});
    expect(sent).toMatchObject({
      customer_id: 7,
      lines: [
        { description: '安装服务费', quantity: '3', unit_price: '0.3350' },
        { description: '调整', amount: '12.5' },
      ],
    });
    expect(sent.period).toMatch(/^\d{4}-\d{2}$/);
    expect(el.querySelector('[data-error-for="lines[0].unit_price"]')?.textContent).toContain('单价超出允许范围');
    unmount();
  });

  it('waits for a save attempt before saying what is missing, and sends nothing', async () => {
    const { el, unmount } = await mount(page(BillForm, '/bills/new'), '/bills/new', MANAGE);
    expect(el.querySelector('[data-error-for]')).toBeNull();
    await click(el.querySelector('[data-testid="save-manual-bill"]'));
    expect(el.querySelector('[data-error-for="customer_id"]')?.textContent).toContain('请选择客户');
    expect(el.querySelector('[data-error-for="lines[0].description"]')?.textContent).toContain('请填写明细说明');
    expect(mock.history.post?.length ?? 0).toBe(0);
    unmount();
  });
});

describe('客户详情 · 账单', () => {
  it('lists the customer’s bills with their totals, without the customer column', async () => {
    mock.onGet('/customers/7/bills').reply(200, list([summary({ status: 'paid' })], { count: 1, total: '4084.00' }));
    const Host = { render: () => h(BillsTab, { customerId: 7 }) };
    const { el, unmount } = await mount(page(Host, '/customers/7'), '/customers/7', MANAGE);
    expect(mock.history.get?.[0]?.params).toEqual({ page: 1, page_size: 10 });
    expect(el.querySelector('[data-status="paid"]')?.textContent).toBe('已结算');
    expect(el.querySelector('[data-testid="bills-totals"]')?.textContent).toBe('合计 1 张（作废除外）');
    expect(el.querySelector('.arco-table-th')?.textContent).not.toContain('客户');
    expect(el.querySelector('[data-testid="customer-bills-all"]')?.getAttribute('href')).toBe('/bills?customer_id=7');
    unmount();
  });
});
