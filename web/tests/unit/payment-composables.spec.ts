/**
 * The payment pages' logic without their templates: the workbench (live remaining amount,
 * suggestions, ticks, the request, the server's refusals, choosing a customer), the
 * receipt form (checks, 409 DUPLICATE_PAYMENT, edits only without allocations) and the
 * statement import's row helpers. The HTTP client is answered by a mock.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { OpenBill, Payment, PaymentImportRow, PaymentSuggestions } from '@/api/types';
import i18n from '@/locale';
import { useWorkbench, workbenchBills } from '@/views/payments/allocate/useWorkbench';
import { usePaymentForm } from '@/views/payments/form/usePaymentForm';
import { rowsOfStatus } from '@/hooks/useFileImport';
import { importable, valueKeys } from '@/views/payments/import/usePaymentImport';

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

const openBill = (id: number, outstanding: string, over: Partial<OpenBill> = {}): OpenBill => ({
  bill_id: id,
  bill_no: `B202610-0000${id}`,
  period: '2026-10',
  due_date: '2026-11-15',
  total: outstanding,
  allocated: '0.00',
  outstanding,
  overdue_days: 7,
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
  open_bills: [openBill(12, '3000.00'), openBill(13, '2000.00'), openBill(14, '800.00')],
  customers: [],
  ...over,
});

const flush = () => new Promise((r) => setTimeout(r, 0));
const body = (config: { data?: unknown }) => JSON.parse(String(config.data)) as Record<string, unknown>;

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => mock.restore());

describe('核销工作台 (useWorkbench)', () => {
  it('loads the payment and its suggestions, applies one, and posts the lines oldest first', async () => {
    mock.onGet('/payments/3').reply(200, payment());
    mock.onGet('/payments/3/suggestions').reply(200, suggestions());
    mock.onPost('/payments/3/allocations').reply(200, {
      payment: payment({ allocated: '5000.00', unapplied: '0.00', status: 'applied' }),
      allocations: [{ id: 1, bill_id: 12, amount: '3000.00' }, { id: 2, bill_id: 13, amount: '2000.00' }],
      bills: [],
    });
    const wb = useWorkbench(3);
    await wb.load();
    expect(wb.bills.value.map((b) => b.bill_id)).toEqual([12, 13, 14]);
    expect(wb.remaining.value.remaining).toBe('5000.00');

    wb.apply(wb.answer.value!.suggestions[0]!);
    expect(wb.remaining.value).toMatchObject({ entered: '5000.00', remaining: '0.00', negative: false, count: 2 });
    expect(wb.statusAfter.value).toBe('applied');

    const result = await wb.submit();
    expect(body(mock.history.post![0]!)).toEqual({ allocations: [{ bill_id: 12, amount: '3000.00' }, { bill_id: 13, amount: '2000.00' }] });
    expect(result?.allocations.length).toBe(2);
    expect(wb.payment.value?.status).toBe('applied');
    expect(wb.fullyApplied.value).toBe(true);
  });

  it('shows the shortfall live, each bill’s problem on its row, and sends nothing while something is wrong', async () => {
    mock.onGet('/payments/3').reply(200, payment({ unapplied: '2500.00', allocated: '2500.00', status: 'partially_applied' }));
    mock.onGet('/payments/3/suggestions').reply(200, suggestions({ unapplied: '2500.00' }));
    const wb = useWorkbench(3);
    await wb.load();

    wb.toggle(wb.bills.value[0]!, true);
    expect(wb.entries[12]).toBe('2500.00');
    expect(wb.remaining.value.remaining).toBe('0.00');
    wb.toggle(wb.bills.value[1]!, true);
    // Nothing left: the whole outstanding, so the shortfall shows in red.
    expect(wb.entries[13]).toBe('2000.00');
    expect(wb.remaining.value).toMatchObject({ remaining: '-2000.00', negative: true });
    expect(wb.totalError.value).toBe('核销合计 4500.00 超过收款的未核销金额 2500.00');
    expect(await wb.submit()).toBeNull();
    expect(mock.history.post?.length ?? 0).toBe(0);

    wb.toggle(wb.bills.value[1]!, false);
    wb.setEntry(14, '800.01');
    expect(wb.rowErrors.value[14]).toBe('账单 B202610-000014 的核销金额 800.01 超过其未结金额 800.00');
    wb.fillOutstanding(wb.bills.value[2]!);
    expect(wb.entries[14]).toBe('800.00');
    expect(wb.rowErrors.value[14]).toBeUndefined();

    wb.clear();
    expect(wb.totalError.value).toBeNull();
    expect(await wb.submit()).toBeNull();
    expect(wb.totalError.value).toBe('请至少选择一张账单并填写核销金额');
  });

  it('shows a 409 in the server’s words and reloads the bills; puts 400 details on their rows', async () => {
    mock.onGet('/payments/3').reply(200, payment());
    mock.onGet('/payments/3/suggestions').reply(200, suggestions());
    mock.onPost('/payments/3/allocations')
      .replyOnce(409, { error: { code: 'EXCEEDS_UNAPPLIED', message: '核销合计 5000.00 超过收款的未核销金额 3000.00' } })
      .onPost('/payments/3/allocations')
      .replyOnce(400, {
        error: {
          code: 'VALIDATION_FAILED',
          message: '核销内容有误',
          details: [{ field: 'allocations[1].amount', code: 'TOO_MANY_DECIMALS', message: '核销金额最多保留 2 位小数' }],
        },
      });
    const wb = useWorkbench(3);
    await wb.load();
    wb.apply(wb.answer.value!.suggestions[0]!);
    expect(await wb.submit()).toBeNull();
    expect(wb.failure.value).toBe('核销合计 5000.00 超过收款的未核销金额 3000.00');
    expect(mock.history.get?.filter((r) => r.url === '/payments/3/suggestions').length).toBe(2);
    // The amounts stay for the user to adjust.
    expect(wb.entries[12]).toBe('3000.00');

    expect(await wb.submit()).toBeNull();
    expect(wb.failure.value).toBeNull();
    expect(wb.rowErrors.value[13]).toBe('核销金额最多保留 2 位小数');
    // Typing again replaces the server's message with the client's own check.
    wb.setEntry(13, '1999');
    expect(wb.rowErrors.value[13]).toBeUndefined();
  });

  it('puts a payment without a customer on the chosen one, then loads that customer’s bills', async () => {
    const unassigned = payment({ customer: null, customer_id: null, payer_name: '星河物业' });
    mock.onGet('/payments/3').replyOnce(200, unassigned).onGet('/payments/3').reply(200, payment({ version: 3 }));
    mock.onGet('/payments/3/suggestions')
      .replyOnce(200, suggestions({
        suggestions: [],
        open_bills: [],
        customers: [{ customer_id: 7, customer_code: 'C000007', company_name: '上海星河物业管理有限公司', score: 85, reason: '公司名称与付款人名称都含有「星河物业」' }],
      }))
      .onGet('/payments/3/suggestions')
      .reply(200, suggestions());
    mock.onPatch('/payments/3').reply(200, payment({ version: 3 }));
    const wb = useWorkbench(3);
    await wb.load();
    expect(wb.needsCustomer.value).toBe(true);
    expect(wb.answer.value?.customers[0]?.score).toBe(85);

    expect(await wb.chooseCustomer(7)).toBe(true);
    expect(body(mock.history.patch![0]!)).toEqual({ customer_id: 7, version: 2 });
    expect(wb.needsCustomer.value).toBe(false);
    expect(wb.bills.value.length).toBe(3);
  });

  it('adds the bills a suggestion names beyond the listed ones', () => {
    const answer = suggestions({ open_bills: [openBill(12, '3000.00')] });
    expect(workbenchBills(answer).map((b) => [b.bill_id, b.outstanding])).toEqual([
      [12, '3000.00'],
      [13, '2000.00'],
    ]);
    expect(workbenchBills(null)).toEqual([]);
  });
});

describe('登记收款 (usePaymentForm)', () => {
  it('checks the receipt first, then shows a duplicate with the payment already recorded', async () => {
    mock.onPost('/payments').reply(409, {
      error: {
        code: 'DUPLICATE_PAYMENT',
        message: '这笔收款已登记过：P202611-000001（银行转账 / 流水号 AB12）',
        details: [{ field: 'reference', code: 'DUPLICATE_PAYMENT', payment_id: 1, payment_no: 'P202611-000001' }],
      },
    });
    const form = usePaymentForm(null, 7);
    expect(form.model.customer_id).toBe(7);
    expect(await form.submit()).toBeNull();
    expect(form.errors.amount).toBe('请填写收款金额');
    expect(mock.history.post?.length ?? 0).toBe(0);

    form.model.amount = '5000';
    form.model.reference = 'AB12';
    expect(await form.submit()).toBeNull();
    expect(body(mock.history.post![0]!)).toMatchObject({ customer_id: 7, amount: '5000', method: 'bank_transfer', reference: 'AB12' });
    expect(form.errors.reference).toBe('这笔收款已登记过：P202611-000001（银行转账 / 流水号 AB12）');
    expect(form.duplicate.value).toMatchObject({ payment_id: 1, payment_no: 'P202611-000001' });
  });

  it('edits only a payment without allocations, and sends only what changed', async () => {
    mock.onGet('/payments/3').replyOnce(200, payment({ allocated: '10.00' })).onGet('/payments/3').reply(200, payment());
    mock.onPatch('/payments/3').reply(200, payment({ amount: '4800.00', version: 3 }));
    const locked = usePaymentForm(3);
    await locked.load();
    expect(locked.locked.value).toBe('收款已有核销记录，不能修改或删除；请先撤销核销');
    expect(await locked.submit()).toBeNull();
    expect(locked.failure.value).toBe('收款已有核销记录，不能修改或删除；请先撤销核销');

    const form = usePaymentForm(3);
    await form.load();
    expect(form.model.amount).toBe('5000.00');
    expect(await form.submit()).toEqual({ payment: null, unchanged: true });
    form.model.amount = '4800';
    const saved = await form.submit();
    expect(body(mock.history.patch![0]!)).toEqual({ version: 2, amount: '4800' });
    expect(saved).toMatchObject({ created: false, payment: { amount: '4800.00' } });
  });

  it('shows the 404 page for a payment outside the caller’s scope', async () => {
    mock.onGet('/payments/9').reply(404, { error: { code: 'NOT_FOUND', message: '收款不存在' } });
    const form = usePaymentForm(9);
    await form.load();
    await flush();
    expect(form.missing.value).toBe(true);
  });
});

describe('银行流水导入 (row helpers)', () => {
  const rows: PaymentImportRow[] = [
    { row: 3, status: 'duplicate', message: '与已登记的收款 P202611-000003 重复（银行转账 / 流水号 AB12）', values: { received_at: '2026-11-20', amount: '5000', reference: 'AB12' } },
    { row: 5, status: 'rejected', message: '金额不是有效的数字', values: { amount: 'abc', payer_name: '星河物业', 摘要列: '服务费' } },
    { row: 6, status: 'skipped', message: '支出行', values: { debit: '100', remarks: null } },
  ];

  it('filters by outcome and lists the file’s columns in the template’s order', () => {
    expect(rowsOfStatus(rows, 'all').length).toBe(3);
    expect(rowsOfStatus(rows, 'rejected').map((r) => r.row)).toEqual([5]);
    expect(valueKeys(rows)).toEqual(['received_at', 'amount', 'payer_name', 'reference', 'debit', '摘要列']);
  });

  it('confirms only when some row would be created', () => {
    const result = { dry_run: true, file_name: 'a.xlsx', total_rows: 3, created: 0, duplicates: 1, skipped: 1, rejected: 1, amount: '0.00', assigned: 0, rows, file_warnings: [], auto_allocate: false, auto_allocated: 0, auto_allocated_amount: '0.00', allocations: [] };
    expect(importable(result)).toBe(0);
    expect(importable({ ...result, created: 2 })).toBe(2);
    expect(importable(null)).toBe(0);
  });
});
