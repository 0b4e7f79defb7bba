/**
 * The payment pages against the contract's shapes (docs/api/payments.md), the HTTP client
 * answered by a mock: what they ask for, what they show, and the key interactions (record
 * with a duplicate, reverse, delete, the workbench, the statement import, aging, the
 * customer's statement and a bill's write-offs).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createApp, h, nextTick, type Component } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView, type RouteRecordRaw } from 'vue-router';
import ArcoVue from '@arco-design/web-vue';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { Allocation, BillSummary, Payment, PaymentImportResult, PaymentSuggestions } from '@/api/types';
import permission from '@/directives/permission';
import i18n from '@/locale';
import { useAuthStore } from '@/store';
import PaymentList from '@/views/payments/index.vue';
import PaymentForm from '@/views/payments/form/index.vue';
import PaymentDetail from '@/views/payments/detail/index.vue';
import Workbench from '@/views/payments/allocate/index.vue';
import PaymentImport from '@/views/payments/import/index.vue';
import Aging from '@/views/payments/aging/index.vue';
import StatementTab from '@/views/customers/detail/components/StatementTab.vue';
import BillAllocations from '@/views/bills/detail/components/BillAllocations.vue';

const MANAGE = ['payments.view', 'payments.manage', 'billing.view', 'customers.view'];
const VIEW = ['payments.view', 'billing.view', 'customers.view'];

const payment = (over: Partial<Payment> = {}): Payment => ({
  id: 3,
  payment_no: 'P202611-000003',
  customer: { id: 7, customer_code: 'C000007', company_name: '星河物业' },
  customer_id: 7,
  amount: '5000.00',
  allocated: '0.00',
  unapplied: '5000.00',
  status: 'unapplied',
  received_at: '2026-11-20',
  method: 'bank_transfer',
  payer_name: '星河物业',
  reference: 'AB12',
  remarks: null,
  source: 'manual',
  allocations: [],
  created_at: '2026-11-20T02:00:00Z',
  created_by: { id: 1, display_name: '管理员' },
  updated_at: '2026-11-20T02:00:00Z',
  version: 2,
  ...over,
});

const allocation = (over: Partial<Allocation> = {}): Allocation => ({
  id: 9,
  payment_id: 3,
  payment_no: 'P202611-000003',
  bill_id: 12,
  bill_no: 'B202610-000012',
  period: '2026-10',
  customer_id: 7,
  amount: '3000.00',
  status: 'active',
  created_at: '2026-11-21T02:00:00Z',
  created_by: { id: 1, display_name: '管理员' },
  reversed_at: null,
  reversed_by: null,
  reverse_reason: null,
  ...over,
});

const suggestions = (over: Partial<PaymentSuggestions> = {}): PaymentSuggestions => ({
  payment_id: 3,
  unapplied: '5000.00',
  suggestions: [
    {
      kind: 'subset',
      reason: '2 张账单的未结金额合计正好等于收款的未核销金额 5000.00',
      total: '5000.00',
      allocations: [
        { bill_id: 12, bill_no: 'B202610-000012', period: '2026-10', outstanding: '3000.00', amount: '3000.00' },
        { bill_id: 13, bill_no: 'B202610-000013', period: '2026-10', outstanding: '2000.00', amount: '2000.00' },
      ],
    },
  ],
  open_bills: [
    { bill_id: 12, bill_no: 'B202610-000012', period: '2026-10', due_date: '2026-11-15', total: '3000.00', allocated: '0.00', outstanding: '3000.00', overdue_days: 7 },
    { bill_id: 13, bill_no: 'B202610-000013', period: '2026-10', due_date: '2026-11-30', total: '2000.00', allocated: '0.00', outstanding: '2000.00', overdue_days: 0 },
  ],
  customers: [],
  ...over,
});

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
const field = (root: ParentNode | null | undefined, name: string) =>
  root?.querySelector(`[data-field="${name}"] input, [data-field="${name}"] textarea, input[data-field="${name}"], textarea[data-field="${name}"]`);
const body = (config: { data?: unknown }) => JSON.parse(String(config.data)) as Record<string, unknown>;

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => mock.restore());

describe('收款列表', () => {
  it('sends the URL’s filters and shows the customer or 未认领, the amounts, the status and the totals', async () => {
    mock.onGet('/payments').reply(200, {
      items: [payment(), payment({ id: 4, payment_no: 'P202611-000004', customer: null, customer_id: null, status: 'partially_applied', allocated: '100.00', unapplied: '1234567.50' })],
      total: 2,
      page: 1,
      page_size: 20,
      totals: { count: 42, amount: '9876543.21', allocated: '100.00', unapplied: '9876443.21' },
    });
    const { el, unmount } = await mount(page(PaymentList, '/payments'), '/payments?status=unapplied,partially_applied&method=cash&from=2026-11-01&to=2026-11-30&unassigned=true', MANAGE);
    expect(mock.history.get?.[0]?.params).toEqual({ status: 'unapplied,partially_applied', method: 'cash', from: '2026-11-01', to: '2026-11-30', unassigned: 'true', page: 1, page_size: 20 });
    expect(el.querySelector('[data-payment-no="P202611-000003"]')?.getAttribute('href')).toBe('/payments/3');
    expect(el.querySelector('[data-testid="payment-customer"]')?.getAttribute('href')).toBe('/customers/7?tab=statement');
    expect(el.querySelector('[data-testid="unassigned"]')?.textContent).toBe('未认领');
    expect(el.querySelector('[data-status="partially_applied"]')?.textContent).toBe('部分核销');
    expect(el.querySelector('[data-amount="unapplied"][data-value="1234567.50"]')?.textContent).toBe('1,234,567.50');
    expect(el.textContent).toContain('银行转账');
    const totals = el.querySelector('.arco-table-tr-summary');
    expect(totals?.querySelector('[data-testid="payments-totals"]')?.textContent).toBe('合计 42 笔');
    expect(totals?.querySelector('[data-amount="amount"]')?.getAttribute('data-value')).toBe('9876543.21');
    expect(el.querySelector('[data-testid="create-payment"]')?.textContent).toContain('登记收款');
    expect(el.querySelector('[data-testid="go-import-payments"]')?.textContent).toContain('导入银行流水');
    expect(el.querySelectorAll('[data-testid="row-allocate"]').length).toBe(2);
    unmount();
  });

  it('hides recording, importing and 核销 from a viewer', async () => {
    mock.onGet('/payments').reply(200, { items: [payment()], total: 1, page: 1, page_size: 20, totals: { count: 1, amount: '5000.00', allocated: '0.00', unapplied: '5000.00' } });
    const { el, unmount } = await mount(page(PaymentList, '/payments'), '/payments', VIEW);
    expect(el.querySelector('[data-testid="create-payment"]')).toBeNull();
    expect(el.querySelector('[data-testid="go-import-payments"]')).toBeNull();
    expect(el.querySelector('[data-testid="row-allocate"]')).toBeNull();
    unmount();
  });
});

describe('登记收款', () => {
  const routes = [
    { path: '/payments/new', component: PaymentForm },
    { path: '/payments/:id(\\d+)/edit', component: PaymentForm },
  ];

  it('checks the form in the server’s words, then shows a duplicate with a link to the payment recorded', async () => {
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '星河物业' });
    mock.onPost('/payments').reply(409, {
      error: {
        code: 'DUPLICATE_PAYMENT',
        message: '这笔收款已登记过：P202611-000001（银行转账 / 流水号 AB12）',
        details: [{ field: 'reference', code: 'DUPLICATE_PAYMENT', payment_id: 1, payment_no: 'P202611-000001' }],
      },
    });
    const { el, unmount } = await mount(routes, '/payments/new?customer_id=7', MANAGE);
    expect(el.querySelector('[data-testid="payment-form-title"]')?.textContent).toBe('登记收款');
    await click(el.querySelector('[data-testid="save-payment"]'));
    expect(el.querySelector('[data-error-for="amount"]')?.textContent).toContain('请填写收款金额');
    expect(mock.history.post?.length ?? 0).toBe(0);

    type(field(el, 'amount'), '1.001');
    await flush();
    await click(el.querySelector('[data-testid="save-payment"]'));
    expect(el.querySelector('[data-error-for="amount"]')?.textContent).toContain('收款金额最多保留 2 位小数');

    type(field(el, 'amount'), '5000');
    type(field(el, 'reference'), 'AB12');
    await flush();
    await click(el.querySelector('[data-testid="save-payment"]'));
    expect(body(mock.history.post![0]!)).toMatchObject({ customer_id: 7, amount: '5000', method: 'bank_transfer', reference: 'AB12' });
    const notice = el.querySelector('[data-testid="duplicate-payment"]');
    expect(notice?.textContent).toContain('这笔收款已经登记过');
    expect(notice?.querySelector('[data-testid="duplicate-message"]')?.textContent).toBe('这笔收款已登记过：P202611-000001（银行转账 / 流水号 AB12）');
    expect(notice?.querySelector('[data-testid="duplicate-link"]')?.getAttribute('href')).toBe('/payments/1');
    expect(notice?.querySelector('[data-testid="duplicate-link"]')?.textContent).toContain('P202611-000001');
    expect(el.querySelector('[data-error-for="reference"]')?.textContent).toContain('这笔收款已登记过');
    unmount();
  });

  it('records and opens the new payment', async () => {
    mock.onPost('/payments').reply(201, payment({ id: 5, payment_no: 'P202611-000005' }));
    const { el, router, unmount } = await mount(routes, '/payments/new', MANAGE);
    type(field(el, 'amount'), '800.5');
    type(field(el, 'payer_name'), ' 星河物业 ');
    await flush();
    await click(el.querySelector('[data-testid="save-payment"]'));
    expect(body(mock.history.post![0]!)).toMatchObject({ amount: '800.5', payer_name: '星河物业', method: 'bank_transfer' });
    expect(body(mock.history.post![0]!).customer_id).toBeUndefined();
    expect(router.currentRoute.value.path).toBe('/payments/5');
    unmount();
  });

  it('does not edit a payment with allocations, saying why', async () => {
    mock.onGet('/payments/3').reply(200, payment({ allocated: '3000.00', unapplied: '2000.00', status: 'partially_applied' }));
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '星河物业' });
    const { el, unmount } = await mount(routes, '/payments/3/edit', MANAGE);
    expect(el.querySelector('[data-testid="payment-form-title"]')?.textContent).toBe('编辑收款 P202611-000003');
    expect(el.querySelector('[data-testid="payment-locked"]')?.textContent).toBe('收款已有核销记录，不能修改或删除；请先撤销核销');
    expect(el.querySelector<HTMLButtonElement>('[data-testid="save-payment"]')?.disabled).toBe(true);
    unmount();
  });

  it('shows the server’s 409 in Chinese when an edit is refused', async () => {
    mock.onGet('/payments/3').reply(200, payment());
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '星河物业' });
    mock.onPatch('/payments/3').reply(409, { error: { code: 'PAYMENT_HAS_ALLOCATIONS', message: '收款已有核销记录，不能修改或删除；请先撤销核销' } });
    const { el, unmount } = await mount(routes, '/payments/3/edit', MANAGE);
    expect(field(el, 'amount')?.getAttribute('value') ?? (field(el, 'amount') as HTMLInputElement).value).toBe('5000.00');
    type(field(el, 'amount'), '4800');
    await flush();
    await click(el.querySelector('[data-testid="save-payment"]'));
    expect(body(mock.history.patch![0]!)).toEqual({ version: 2, amount: '4800' });
    expect(el.querySelector('[data-testid="payment-form-error"]')?.textContent).toBe('收款已有核销记录，不能修改或删除；请先撤销核销');
    unmount();
  });
});

describe('收款详情', () => {
  const routes = page(PaymentDetail, '/payments/:id(\\d+)');
  beforeEach(() => {
    mock.onGet('/payments/3/history').reply(200, { items: [], total: 0, page: 1, page_size: 10 });
  });

  it('shows the receipt, its amounts and allocations, live and reversed', async () => {
    mock.onGet('/payments/3').reply(200, payment({
      allocated: '3000.00',
      unapplied: '2000.00',
      status: 'partially_applied',
      allocations: [
        allocation(),
        allocation({ id: 8, bill_id: 13, bill_no: 'B202610-000013', amount: '500.00', status: 'reversed', reversed_at: '2026-11-21T03:00:00Z', reversed_by: { id: 2, display_name: '张三' }, reverse_reason: '核销到了错误的账单' }),
      ],
    }));
    const { el, unmount } = await mount(routes, '/payments/3', MANAGE);
    expect(el.querySelector('[data-testid="payment-no"]')?.textContent).toBe('P202611-000003');
    expect(el.querySelector('[data-testid="payment-status"]')?.textContent).toBe('部分核销');
    expect(el.querySelector('[data-testid="payment-amounts"] [data-amount="unapplied"]')?.textContent).toBe('2,000.00');
    expect(el.querySelector('[data-testid="payment-method"]')?.textContent).toBe('银行转账');
    expect(el.querySelector('[data-allocation-id="9"]')?.getAttribute('data-status')).toBe('active');
    const reversed = el.querySelector('[data-allocation-id="8"]');
    expect(reversed?.textContent).toContain('已撤销');
    expect(reversed?.textContent).toContain('张三');
    expect(reversed?.querySelector('[data-testid="reverse-reason"]')?.textContent).toBe('核销到了错误的账单');
    expect(el.querySelectorAll('[data-testid="reverse-allocation"]').length).toBe(1);
    // Allocated: neither edited nor deleted, and the buttons say why.
    expect(el.querySelector<HTMLButtonElement>('[data-testid="edit-payment"]')?.disabled).toBe(true);
    expect(el.querySelector<HTMLButtonElement>('[data-testid="delete-payment"]')?.disabled).toBe(true);
    expect(el.querySelector<HTMLButtonElement>('[data-testid="allocate-payment"]')?.disabled).toBe(false);
    unmount();
  });

  it('reverses an allocation only with a reason, and shows the payment as after it', async () => {
    const after = payment({ allocations: [allocation({ status: 'reversed', reverse_reason: '核销到了错误的账单', reversed_at: '2026-11-22T01:00:00Z', reversed_by: { id: 1, display_name: '管理员' } })] });
    mock.onGet('/payments/3').replyOnce(200, payment({ allocated: '3000.00', unapplied: '2000.00', status: 'partially_applied', allocations: [allocation()] }));
    mock.onGet('/payments/3').reply(200, after);
    mock.onPost('/allocations/9/reverse').reply(200, after);
    const { el, unmount } = await mount(routes, '/payments/3', MANAGE);
    await click(el.querySelector('[data-testid="reverse-allocation"]'));
    const dialog = modal('reverse-modal');
    expect(dialog?.querySelector('[data-testid="reverse-hint"]')?.textContent).toContain('B202610-000012');
    await ok(dialog);
    expect(dialog?.querySelector('[data-error-for="reason"]')?.textContent).toContain('请填写撤销原因');
    expect(mock.history.post?.length ?? 0).toBe(0);
    type(field(dialog, 'reason'), ' 核销到了错误的账单 ');
    await flush();
    await ok(dialog);
    expect(body(mock.history.post![0]!)).toEqual({ reason: '核销到了错误的账单' });
    // The payment as it is now, and its history, are loaded again.
    expect(mock.history.get?.filter((r) => r.url === '/payments/3').length).toBe(2);
    expect(el.querySelector('[data-testid="payment-status"]')?.textContent).toBe('未核销');
    expect(el.querySelector('[data-testid="payment-amounts"] [data-amount="unapplied"]')?.getAttribute('data-value')).toBe('5000.00');
    expect(el.querySelector('[data-allocation-id="9"]')?.getAttribute('data-status')).toBe('reversed');
    unmount();
  });

  it('shows the server’s 409 when the allocation was reversed meanwhile', async () => {
    mock.onGet('/payments/3').reply(200, payment({ allocated: '3000.00', unapplied: '2000.00', status: 'partially_applied', allocations: [allocation()] }));
    mock.onPost('/allocations/9/reverse').reply(409, { error: { code: 'ALLOCATION_ALREADY_REVERSED', message: '这条核销记录已经撤销过了' } });
    const { el, unmount } = await mount(routes, '/payments/3', MANAGE);
    await click(el.querySelector('[data-testid="reverse-allocation"]'));
    const dialog = modal('reverse-modal');
    type(field(dialog, 'reason'), '重复');
    await flush();
    await ok(dialog);
    expect(dialog?.querySelector('[data-testid="reverse-error"]')?.textContent).toBe('这条核销记录已经撤销过了');
    unmount();
  });

  it('deletes a payment with nothing allocated, with a reason, and goes back to the list', async () => {
    mock.onGet('/payments/3').reply(200, payment());
    mock.onDelete('/payments/3').reply(204);
    const { el, router, unmount } = await mount(routes, '/payments/3', MANAGE);
    await click(el.querySelector('[data-testid="delete-payment"]'));
    const dialog = modal('delete-payment-modal');
    await ok(dialog);
    expect(dialog?.querySelector('[data-error-for="reason"]')?.textContent).toContain('请填写删除原因');
    type(field(dialog, 'reason'), '重复登记');
    await flush();
    await ok(dialog);
    expect(body(mock.history.delete![0]!)).toEqual({ reason: '重复登记' });
    expect(router.currentRoute.value.path).toBe('/payments');
    unmount();
  });

  it('offers no actions to a viewer, and the 404 page outside the scope', async () => {
    mock.onGet('/payments/3').reply(200, payment({ allocations: [allocation()] }));
    const viewer = await mount(routes, '/payments/3', VIEW);
    expect(viewer.el.querySelector('[data-testid="allocate-payment"]')).toBeNull();
    expect(viewer.el.querySelector('[data-testid="reverse-allocation"]')).toBeNull();
    viewer.unmount();

    mock.onGet('/payments/4').reply(404, { error: { code: 'NOT_FOUND', message: '收款不存在' } });
    const { el, unmount } = await mount(routes, '/payments/4', VIEW);
    expect(el.querySelector('[data-testid="payment-detail"]')).toBeNull();
    expect(el.textContent).toContain('页面不存在');
    unmount();
  });
});

describe('核销工作台', () => {
  const routes = page(Workbench, '/payments/:id(\\d+)/allocate');

  it('fills a suggestion, keeps the remaining amount live and red below zero, and posts the allocation', async () => {
    mock.onGet('/payments/3').reply(200, payment());
    mock.onGet('/payments/3/suggestions').reply(200, suggestions());
    mock.onPost('/payments/3/allocations').reply(200, { payment: payment({ allocated: '5000.00', unapplied: '0.00', status: 'applied' }), allocations: [{ id: 1, bill_id: 12, amount: '3000.00' }, { id: 2, bill_id: 13, amount: '2000.00' }], bills: [] });
    const { el, router, unmount } = await mount(routes, '/payments/3/allocate', MANAGE);
    expect(el.querySelector('[data-testid="workbench-payment-no"]')?.textContent).toBe('P202611-000003');
    expect(el.querySelector('[data-testid="suggestion-reason"]')?.textContent).toBe('2 张账单的未结金额合计正好等于收款的未核销金额 5000.00');
    expect(el.querySelector('[data-open-bill="B202610-000012"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="overdue"]')?.textContent).toBe('逾期 7 天');
    const remaining = () => el.querySelector('[data-testid="workbench-remaining"]');
    expect(remaining()?.querySelector('[data-amount="remaining"]')?.getAttribute('data-value')).toBe('5000.00');

    type(el.querySelector('[data-bill-amount="B202610-000012"] input, input[data-bill-amount="B202610-000012"]'), '3000.01');
    await flush();
    expect(el.querySelector('[data-error-for="bill:12"]')?.textContent).toBe('账单 B202610-000012 的核销金额 3000.01 超过其未结金额 3000.00');
    type(el.querySelector('[data-bill-amount="B202610-000013"] input, input[data-bill-amount="B202610-000013"]'), '2000');
    await flush();
    expect(remaining()?.getAttribute('data-negative')).toBe('true');
    expect(remaining()?.classList.contains('negative')).toBe(true);
    expect(remaining()?.querySelector('[data-amount="remaining"]')?.getAttribute('data-value')).toBe('-0.01');

    await click(el.querySelector('[data-testid="apply-suggestion"]'));
    expect(remaining()?.querySelector('[data-amount="remaining"]')?.getAttribute('data-value')).toBe('0.00');
    expect(el.querySelector('[data-error-for="bill:12"]')).toBeNull();
    expect(el.querySelector('[data-testid="workbench-status-after"]')?.textContent).toBe('已核销');

    await click(el.querySelector('[data-testid="confirm-allocation"]'));
    expect(body(mock.history.post![0]!)).toEqual({ allocations: [{ bill_id: 12, amount: '3000.00' }, { bill_id: 13, amount: '2000.00' }] });
    expect(router.currentRoute.value.path).toBe('/payments/3');
    unmount();
  });

  it('shows EXCEEDS_UNAPPLIED in Chinese when someone else allocated meanwhile', async () => {
    mock.onGet('/payments/3').reply(200, payment());
    mock.onGet('/payments/3/suggestions').reply(200, suggestions());
    mock.onPost('/payments/3/allocations').reply(409, { error: { code: 'EXCEEDS_UNAPPLIED', message: '核销合计 5000.00 超过收款的未核销金额 1000.00' } });
    const { el, unmount } = await mount(routes, '/payments/3/allocate', MANAGE);
    await click(el.querySelector('[data-pick="B202610-000012"] input, input[data-pick="B202610-000012"], [data-pick="B202610-000012"]'));
    expect(el.querySelector('[data-amount="entered"]')?.getAttribute('data-value')).toBe('3000.00');
    await click(el.querySelector('[data-fill="B202610-000013"]'));
    await click(el.querySelector('[data-testid="confirm-allocation"]'));
    expect(el.querySelector('[data-testid="workbench-error"]')?.textContent).toBe('核销合计 5000.00 超过收款的未核销金额 1000.00');
    unmount();
  });

  it('proposes customers for a payment without one; choosing PATCHes it and loads the bills', async () => {
    mock.onGet('/payments/3').replyOnce(200, payment({ customer: null, customer_id: null })).onGet('/payments/3').reply(200, payment({ version: 3 }));
    mock.onGet('/payments/3/suggestions')
      .replyOnce(200, suggestions({ suggestions: [], open_bills: [], customers: [{ customer_id: 7, customer_code: 'C000007', company_name: '上海星河物业管理有限公司', score: 85, reason: '公司名称与付款人名称都含有「星河物业」' }] }))
      .onGet('/payments/3/suggestions')
      .reply(200, suggestions());
    mock.onPatch('/payments/3').reply(200, payment({ version: 3 }));
    const { el, unmount } = await mount(routes, '/payments/3/allocate', MANAGE);
    const candidate = el.querySelector('[data-testid="customer-candidate"]');
    expect(candidate?.textContent).toContain('上海星河物业管理有限公司');
    expect(candidate?.querySelector('[data-score]')?.textContent).toBe('匹配度 85');
    expect(candidate?.querySelector('[data-testid="customer-reason"]')?.textContent).toBe('公司名称与付款人名称都含有「星河物业」');
    expect(el.querySelector<HTMLButtonElement>('[data-testid="confirm-allocation"]')?.disabled).toBe(true);
    await click(candidate?.querySelector('[data-testid="choose-customer"]'));
    expect(body(mock.history.patch![0]!)).toEqual({ customer_id: 7, version: 2 });
    expect(el.querySelector('[data-testid="customer-chooser"]')).toBeNull();
    expect(el.querySelector('[data-open-bill="B202610-000013"]')).not.toBeNull();
    unmount();
  });

  it('says so when the payment is fully applied', async () => {
    mock.onGet('/payments/3').reply(200, payment({ allocated: '5000.00', unapplied: '0.00', status: 'applied' }));
    mock.onGet('/payments/3/suggestions').reply(200, suggestions({ unapplied: '0.00', suggestions: [], open_bills: [] }));
    const { el, unmount } = await mount(routes, '/payments/3/allocate', MANAGE);
    expect(el.querySelector('[data-testid="workbench-applied"]')?.textContent).toContain('这笔收款已全部核销');
    unmount();
  });
});

describe('银行流水导入', () => {
  const preview: PaymentImportResult = {
    dry_run: true,
    file_name: '11月流水.xls',
    total_rows: 5,
    created: 2,
    duplicates: 1,
    skipped: 1,
    rejected: 1,
    amount: '8000.00',
    assigned: 1,
    rows: [
      { row: 3, status: 'duplicate', message: '与已登记的收款 P202611-000003 重复（银行转账 / 流水号 AB12）', values: { received_at: '2026-11-20', amount: '5000', reference: 'AB12' } },
      { row: 5, status: 'rejected', message: '金额：收款金额不是有效的数字', values: { amount: 'abc' } },
      { row: 6, status: 'skipped', message: '支出', values: { debit: '100' } },
    ],
    file_warnings: [{ code: 'UNKNOWN_COLUMNS', message: '未识别的列：对方行号' }],
    auto_allocate: false,
    auto_allocated: 0,
    auto_allocated_amount: '0.00',
    allocations: [],
  };

  it('dry-runs a dropped statement, shows what would happen, then imports it for real', async () => {
    mock.onPost('/payments/import').reply((config) => [200, (config.params as { dry_run: string }).dry_run === 'true' ? preview : { ...preview, dry_run: false }]);
    const { el, unmount } = await mount(page(PaymentImport, '/payments/import'), '/payments/import', MANAGE);
    const input = el.querySelector<HTMLInputElement>('input[type="file"]');
    expect(input?.accept).toBe('.xlsx,.xls,.csv');
    expect(el.textContent).toContain('下载流水模板');

    const bad = new File(['x'], 'notes.txt');
    Object.defineProperty(input, 'files', { value: [bad], configurable: true });
    input?.dispatchEvent(new Event('change'));
    await flush();
    expect(el.querySelector('[data-testid="import-error"]')?.textContent).toContain('仅支持 .xlsx、.xls、.csv 文件，「notes.txt」无法导入');

    const file = new File(['到账日期,金额\n'], '11月流水.xls');
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input?.dispatchEvent(new Event('change'));
    await flush();
    expect(mock.history.post?.[0]?.params).toEqual({ dry_run: 'true', auto_allocate: 'false' });
    const review = el.querySelector('[data-testid="payment-import-review"]');
    expect(review?.querySelector('[data-count="created"]')?.getAttribute('data-value')).toBe('2');
    expect(review?.querySelector('[data-count="duplicates"]')?.getAttribute('data-value')).toBe('1');
    expect(review?.querySelector('[data-count="rejected"]')?.getAttribute('data-value')).toBe('1');
    expect(review?.querySelector('[data-amount="import-amount"]')?.getAttribute('data-value')).toBe('8000.00');
    expect(review?.querySelector('[data-testid="payment-import-warnings"]')?.textContent).toContain('未识别的列');
    const rows = review?.querySelector('[data-testid="payment-import-rows"]');
    expect(rows?.querySelector('[data-status="duplicate"]')?.textContent).toBe('重复');
    expect(rows?.textContent).toContain('与已登记的收款 P202611-000003 重复');

    await click(el.querySelector('[data-testid="payment-import-confirm"]'));
    expect(mock.history.post?.[1]?.params).toEqual({ dry_run: 'false', auto_allocate: 'false' });
    const done = el.querySelector('[data-testid="payment-import-done"]');
    expect(done?.textContent).toContain('已登记 2 笔收款（合计 8,000.00 元），其中 1 笔已匹配客户');
    expect(done?.querySelector('[data-testid="payment-import-view-unassigned"]')).not.toBeNull();
    expect(done?.querySelector('[data-testid="auto-allocations"]')).toBeNull();
    unmount();
  });

  it('allocates exact matches when asked, lists them for review and reverses one', async () => {
    const pair = { row: 2, payment_no: 'P202611-000010', payment_id: null, allocation_id: null, customer: { id: 7, customer_code: 'C000007', company_name: '星河物业' }, bill_id: 12, bill_no: 'B202610-000012', period: '2026-10', amount: '1234567.89' };
    mock.onPost('/payments/import').reply((config) => {
      const params = config.params as { dry_run: string; auto_allocate: string };
      const dry = params.dry_run === 'true';
      const made = dry ? pair : { ...pair, payment_id: 10, allocation_id: 55 };
      return [200, { ...preview, dry_run: dry, auto_allocate: params.auto_allocate === 'true', auto_allocated: 1, auto_allocated_amount: '1234567.89', allocations: [made] }];
    });
    mock.onPost('/allocations/55/reverse').reply(200, payment());
    const { el, unmount } = await mount(page(PaymentImport, '/payments/import'), '/payments/import', MANAGE);
    const auto = el.querySelector<HTMLInputElement>('[data-testid="payment-import-auto"] input');
    expect(auto?.checked).toBe(false);
    await click(auto);
    const input = el.querySelector<HTMLInputElement>('input[type="file"]');
    Object.defineProperty(input, 'files', { value: [new File(['到账日期,金额\n'], '流水.csv')], configurable: true });
    input?.dispatchEvent(new Event('change'));
    await flush();
    expect(mock.history.post?.[0]?.params).toEqual({ dry_run: 'true', auto_allocate: 'true' });
    const review = el.querySelector('[data-testid="payment-import-review"] [data-testid="auto-allocations"]');
    expect(review?.textContent).toContain('确认后将自动核销 1 笔');
    expect(review?.querySelector('[data-amount="auto-amount"]')?.textContent).toBe('1,234,567.89');
    expect(review?.textContent).toContain('B202610-000012');
    expect(review?.querySelector('[data-testid="auto-allocation-reverse-2"]')).toBeNull();

    await click(el.querySelector('[data-testid="payment-import-confirm"]'));
    expect(mock.history.post?.[1]?.params).toEqual({ dry_run: 'false', auto_allocate: 'true' });
    const done = el.querySelector('[data-testid="payment-import-done"] [data-testid="auto-allocations"]');
    expect(done?.textContent).toContain('已自动核销 1 笔');
    await click(done?.querySelector('[data-testid="auto-allocation-reverse-2"]'));
    const dialog = modal('reverse-modal');
    type(field(dialog, 'reason'), '不是这张账单');
    await flush();
    await ok(dialog);
    expect(mock.history.post?.find((r) => r.url === '/allocations/55/reverse')).toBeDefined();
    expect(done?.querySelector('[data-testid="auto-allocation-reversed"]')).not.toBeNull();
    unmount();
  });
});

describe('账龄分析', () => {
  it('sends the filters, shows the buckets with the totals, and exports what it shows', async () => {
    mock.onGet('/customers/options/owners').reply(200, [{ id: 3, display_name: '李四', role: 'sales' }]);
    mock.onGet('/receivables/aging').reply(200, {
      items: [{
        customer: { id: 7, customer_code: 'C000007', company_name: '星河物业' }, sales_owner: { id: 3, display_name: '李四' },
        open_bills: 3, outstanding: '9000.00', not_due: '3000.00', d1_30: '3000.00', d31_60: '0.00', d61_90: '0.00', d90_plus: '3000.00',
        overdue: '6000.00', max_overdue_days: 95, unapplied: '500.00', net: '8500.00',
      }],
      total: 1,
      page: 1,
      page_size: 20,
      totals: { outstanding: '9000.00', not_due: '3000.00', d1_30: '3000.00', d31_60: '0.00', d61_90: '0.00', d90_plus: '3000.00', overdue: '6000.00', unapplied: '500.00', net: '8500.00' },
    });
    mock.onGet('/receivables/aging/export').reply(200, new Blob(['x']), { 'content-disposition': 'attachment; filename="aging.xlsx"' });
    URL.createObjectURL = vi.fn(() => 'blob:test');
    URL.revokeObjectURL = vi.fn();
    const { el, unmount } = await mount(page(Aging, '/receivables/aging'), '/receivables/aging?as_of=2026-11-30&overdue_only=true&owner_id=3', VIEW);
    expect(mock.history.get?.find((r) => r.url === '/receivables/aging')?.params).toEqual({ as_of: '2026-11-30', overdue_only: 'true', owner_id: '3', page: 1, page_size: 20 });
    expect(el.querySelector('[data-testid="aging-as-of"]')?.textContent).toContain('截至 2026-11-30');
    const headers = [...el.querySelectorAll('.arco-table-th')].map((th) => th.textContent?.trim());
    for (const label of ['未到期', '1–30天', '31–60天', '61–90天', '90天以上', '逾期金额', '预收', '净应收']) expect(headers).toContain(label);
    const row = el.querySelector('[data-customer="C000007"]')?.closest('tr');
    expect(row?.querySelector('[data-amount="d90_plus"]')?.textContent).toBe('3,000.00');
    expect(row?.querySelector('[data-amount="net"]')?.getAttribute('data-value')).toBe('8500.00');
    expect(row?.textContent).toContain('95 天');
    const totals = el.querySelector('.arco-table-tr-summary');
    expect(totals?.querySelector('[data-testid="aging-totals"]')?.textContent).toBe('合计（1 个客户）');
    expect(totals?.querySelector('[data-amount="overdue"]')?.getAttribute('data-value')).toBe('6000.00');

    await click(el.querySelector('[data-testid="export-aging"]'));
    await click(document.querySelector('[data-testid="export-xlsx"]'));
    expect(mock.history.get?.find((r) => r.url === '/receivables/aging/export')?.params).toEqual({ as_of: '2026-11-30', overdue_only: 'true', owner_id: '3', format: 'xlsx' });
    unmount();
  });
});

describe('对账单 and a bill’s 核销记录', () => {
  const bill = { id: 12, bill_no: 'B202610-000012', customer: { id: 7, customer_code: 'C000007', company_name: '星河物业' }, customer_id: 7, period: '2026-10', kind: 'auto', status: 'partially_paid', plan: null, subtotal: '3000.00', credited: '0.00', total: '3000.00', allocated: '1000.00', outstanding: '2000.00', due_date: '2026-11-15', overdue: true, overdue_days: 7, warnings: [], warnings_acknowledged: null, late_usage: null, remarks: null, issued_at: null, issued_by: null, voided_at: null, voided_by: null, void_reason: null, created_at: '2026-11-01T00:00:00Z', updated_at: '2026-11-01T00:00:00Z', version: 2 } as unknown as BillSummary;

  it('shows the customer’s summary with balance and aging, bills, payments and allocations', async () => {
    mock.onGet('/customers/7/statement').reply(200, {
      customer: { id: 7, customer_code: 'C000007', company_name: '星河物业' },
      summary: { billed: '3000.00', credited: '0.00', received: '1500.00', allocated: '1000.00', outstanding: '2000.00', unapplied: '500.00', net: '1500.00', overdue: '2000.00', aging: { not_due: '0.00', d1_30: '2000.00', d31_60: '0.00', d61_90: '0.00', d90_plus: '0.00' } },
      bills: [bill],
      payments: [payment({ amount: '1500.00', allocated: '1000.00', unapplied: '500.00', status: 'partially_applied' })],
      allocations: [allocation({ amount: '1000.00' })],
      ledger: {
        from: '2026-10-01',
        to: '2026-10-31',
        opening_balance: '1234567.50',
        debits: '3000.00',
        credits: '1500.00',
        closing_balance: '1236067.50',
        lines: [
          { date: '2026-10-03', kind: 'bill', document_no: 'B202609-000001', bill_id: 11, payment_id: null, description: '2026年9月账单', debit: '3000.00', credit: null, balance: '1237567.50' },
          { date: '2026-10-20', kind: 'payment', document_no: 'P202610-000002', bill_id: null, payment_id: 3, description: '收款（银行转账）', debit: null, credit: '1500.00', balance: '1236067.50' },
        ],
      },
    });
    const { el, unmount } = await mount([{ path: '/customers/:id', component: { render: () => h(StatementTab, { customerId: 7 }) } }], '/customers/7', MANAGE);
    const ledger = el.querySelector('[data-testid="statement-ledger"]');
    expect(ledger?.querySelector('[data-amount="opening"]')?.textContent).toBe('1,234,567.50');
    expect(ledger?.querySelector('[data-amount="closing"]')?.textContent).toBe('1,236,067.50');
    expect(ledger?.textContent).toContain('P202610-000002');
    expect(mock.history.get?.find((r) => r.url === '/customers/7/statement')?.params).toMatchObject({ from: expect.stringMatching(/^\d{4}-\d{2}$/) });
    const summary = el.querySelector('[data-testid="statement-summary"]');
    expect(summary?.querySelector('[data-amount="unapplied"]')?.getAttribute('data-value')).toBe('500.00');
    expect(summary?.querySelector('[data-amount="net"]')?.textContent).toBe('1,500.00');
    expect(el.querySelector('[data-testid="statement-aging"] [data-amount="aging-d1_30"]')?.getAttribute('data-value')).toBe('2000.00');
    expect(el.textContent).toContain('账单（1）');
    expect(el.textContent).toContain('收款（1）');
    expect(el.textContent).toContain('核销记录（1）');
    expect(el.querySelector('[data-bill-no="B202610-000012"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="statement-record-payment"]')).not.toBeNull();
    unmount();
  });

  it('lists a bill’s allocations with the payment, and reverses one from there', async () => {
    mock.onGet('/bills/12/allocations').reply(200, [allocation(), allocation({ id: 7, status: 'reversed', reverse_reason: '错账', reversed_at: '2026-11-21T00:00:00Z', reversed_by: { id: 1, display_name: '管理员' } })]);
    mock.onPost('/allocations/9/reverse').reply(200, payment());
    const changed = vi.fn();
    const { el, unmount } = await mount([{ path: '/bills/:id', component: { render: () => h(BillAllocations, { billId: 12, refreshKey: 0, onChanged: changed }) } }], '/bills/12', MANAGE);
    expect(el.querySelector('[data-allocation-payment="3"]')?.textContent?.trim()).toBe('P202611-000003');
    expect(el.querySelector('[data-allocation-id="7"]')?.textContent).toContain('错账');
    await click(el.querySelector('[data-testid="reverse-allocation"]'));
    const dialog = modal('reverse-modal');
    type(field(dialog, 'reason'), '核销到了错误的账单');
    await flush();
    await ok(dialog);
    expect(body(mock.history.post![0]!)).toEqual({ reason: '核销到了错误的账单' });
    expect(changed).toHaveBeenCalled();
    unmount();
  });
});
