/**
 * The payment checks mirror crates/domain/src/payments/ (input.rs, allocation.rs) and
 * pricing/raw.rs: same order, same fields, same Chinese words. The workbench's arithmetic
 * is exact: scaled BigInt, never a JS number.
 */
import { describe, expect, it } from 'vitest';
import type { AllocationSuggestion, OpenBill, Payment } from '@/api/types';
import { subtractDecimal } from '@/utils/decimal';
import {
  allocationRequest,
  atLeastCents,
  billOfPath,
  checkAllocationLine,
  checkAmount,
  checkMethod,
  checkPayerName,
  checkReason,
  checkReceivedAt,
  checkReference,
  checkRemarks,
  editBlocker,
  emptyPaymentForm,
  fillAmount,
  METHOD_LABELS,
  PAYMENT_METHODS,
  PAYMENT_STATUS_LABELS,
  PAYMENT_STATUSES,
  patchChanges,
  paymentPatch,
  paymentRequest,
  paymentToForm,
  remainingOf,
  reverseBlocker,
  statusOf,
  suggestionEntries,
  toCents,
  validateAllocations,
  validatePaymentForm,
  type PaymentForm,
} from '@/utils/payment-rules';

const message = (e: { message: string } | null) => e?.message ?? null;
const TODAY = '2026-11-22';

const bill = (id: number, outstanding: string, over: Partial<OpenBill> = {}): OpenBill => ({
  bill_id: id,
  bill_no: `B202610-${String(id).padStart(6, '0')}`,
  period: '2026-10',
  due_date: '2026-11-15',
  total: outstanding,
  allocated: '0.00',
  outstanding,
  overdue_days: 7,
  ...over,
});

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

describe('codes and labels', () => {
  it('names the six methods and three statuses as the server does', () => {
    expect(PAYMENT_METHODS.map((m) => METHOD_LABELS[m])).toEqual(['银行转账', '支票', '现金', '微信', '支付宝', '其他']);
    expect(PAYMENT_METHODS).toEqual(['bank_transfer', 'cheque', 'cash', 'wechat', 'alipay', 'other']);
    expect(PAYMENT_STATUSES.map((s) => PAYMENT_STATUS_LABELS[s])).toEqual(['未核销', '部分核销', '已核销']);
  });

  it('derives the status from the allocated share (PaymentStatus::of)', () => {
    expect(statusOf('100.00', '0.00')).toBe('unapplied');
    expect(statusOf('100.00', '0.01')).toBe('partially_applied');
    expect(statusOf('100.00', '100.00')).toBe('applied');
    expect(statusOf('100', '100.0000')).toBe('applied');
  });
});

describe('an amount (validate_amount)', () => {
  const amount = (text: string) => message(checkAmount(text, 'amount', 'amount'));

  it('takes positive whole cents as text, up to 999,999,999,999.99', () => {
    for (const ok of ['1234.5', ' 0.01 ', '12.3400', '999999999999.99', '5000']) expect(amount(ok), ok).toBeNull();
  });

  it('says what is wrong in the server’s order and words', () => {
    expect(amount('')).toBe('请填写收款金额');
    expect(amount('1e3')).toBe('收款金额不是有效的数字');
    expect(amount('1,000')).toBe('收款金额不是有效的数字');
    expect(amount('.5')).toBe('收款金额不是有效的数字');
    // Four decimals is the stored scale, checked before the sign…
    expect(amount('-0.12345')).toBe('收款金额最多保留 4 位小数');
    expect(amount('0')).toBe('收款金额必须大于 0');
    expect(amount('-5')).toBe('收款金额必须大于 0');
    // …whole cents after it.
    expect(amount('1.001')).toBe('收款金额最多保留 2 位小数');
    expect(amount('1000000000000')).toBe('收款金额超出允许范围');
    expect(amount('99999999999999999999')).toBe('收款金额超出允许范围');
    expect(checkAmount('0', 'allocations[0].amount', 'allocationAmount')).toMatchObject({
      field: 'allocations[0].amount',
      code: 'NOT_POSITIVE',
      message: '核销金额必须大于 0',
    });
  });

  it('writes amounts back with two decimals, exactly', () => {
    expect(toCents('84')).toBe('84.00');
    expect(toCents('0.5')).toBe('0.50');
    expect(toCents('999999999999.99')).toBe('999999999999.99');
    expect(atLeastCents('12.3')).toBe('12.30');
    expect(atLeastCents('1.005')).toBe('1.005');
    expect(atLeastCents('-7')).toBe('-7.00');
  });
});

describe('a receipt (validate_receipt)', () => {
  it('checks the date: present, a real day, not after today (China), not before 2000', () => {
    expect(message(checkReceivedAt('', TODAY))).toBe('请填写到账日期');
    expect(message(checkReceivedAt('2026-02-30', TODAY))).toBe('到账日期格式不正确，请填写如 2026-11-20 的日期');
    expect(message(checkReceivedAt('2026/11/20', TODAY))).toBe('到账日期格式不正确，请填写如 2026-11-20 的日期');
    expect(message(checkReceivedAt('2026-11-23', TODAY))).toBe('到账日期不能晚于今天');
    expect(message(checkReceivedAt('1999-12-31', TODAY))).toBe('到账日期不能早于 2000 年');
    expect(checkReceivedAt('2026-11-22', TODAY)).toBeNull();
    expect(checkReceivedAt('2000-01-01', TODAY)).toBeNull();
  });

  it('checks the method and the lengths the server counts', () => {
    expect(message(checkMethod(''))).toBe('请选择收款方式');
    expect(message(checkMethod('刷卡'))).toBe('收款方式不正确，可选：银行转账、支票、现金、微信、支付宝、其他');
    expect(checkMethod('wechat')).toBeNull();
    expect(message(checkPayerName('名'.repeat(101)))).toBe('付款人名称不能超过 100 个字');
    // Runs of spaces count once, as the server collapses them.
    expect(checkPayerName(`${'名'.repeat(50)}     ${'名'.repeat(49)}`)).toBeNull();
    expect(message(checkReference('R'.repeat(65)))).toBe('流水号不能超过 64 个字符');
    expect(checkReference(` ${'R'.repeat(64)} `)).toBeNull();
    expect(message(checkRemarks('备'.repeat(501)))).toBe('备注不能超过 500 个字');
  });

  it('reports every problem at once, in the server’s field order', () => {
    const form: PaymentForm = { customer_id: null, amount: '0', received_at: '2099-01-01', method: '', payer_name: '名'.repeat(101), reference: 'R'.repeat(65), remarks: '' };
    expect(validatePaymentForm(form, TODAY).map((e) => e.field)).toEqual(['amount', 'received_at', 'method', 'payer_name', 'reference']);
    expect(validatePaymentForm(emptyPaymentForm(7, TODAY), TODAY).map((e) => e.message)).toEqual(['请填写收款金额']);
  });

  it('sends trimmed text and leaves blank optional fields out', () => {
    const form = { ...emptyPaymentForm(null, TODAY), amount: ' 5000 ', payer_name: ' 星河物业 ', reference: '  ' };
    expect(paymentRequest(form)).toEqual({ amount: '5000', received_at: TODAY, method: 'bank_transfer', payer_name: '星河物业' });
    expect(paymentRequest({ ...form, customer_id: 7, remarks: '十一月服务费' })).toEqual({
      customer_id: 7,
      amount: '5000',
      received_at: TODAY,
      method: 'bank_transfer',
      payer_name: '星河物业',
      remarks: '十一月服务费',
    });
  });

  it('patches only what changed, clearing text with "" and never taking the customer away', () => {
    const original = payment();
    const form = paymentToForm(original);
    expect(paymentPatch(form, original)).toEqual({ version: 2 });
    expect(patchChanges(paymentPatch(form, original))).toBe(false);
    // "5000" is the same amount as "5000.00".
    expect(paymentPatch({ ...form, amount: '5000' }, original)).toEqual({ version: 2 });
    expect(paymentPatch({ ...form, amount: '4999.5', reference: '', customer_id: 8 }, original)).toEqual({
      version: 2,
      amount: '4999.5',
      reference: '',
      customer_id: 8,
    });
    expect(paymentPatch({ ...form, customer_id: null }, original)).toEqual({ version: 2 });
    expect(paymentPatch({ ...form, remarks: ' 补记 ' }, original)).toEqual({ version: 2, remarks: '补记' });
  });
});

describe('what may be done now (allocation.rs)', () => {
  it('edits and deletes only without allocations, reverses once', () => {
    expect(editBlocker({ allocated: '0.00' })).toBeNull();
    expect(editBlocker({ allocated: '0.01' })).toMatchObject({ code: 'PAYMENT_HAS_ALLOCATIONS', message: '收款已有核销记录，不能修改或删除；请先撤销核销' });
    expect(reverseBlocker({ status: 'active' })).toBeNull();
    expect(message(reverseBlocker({ status: 'reversed' }))).toBe('这条核销记录已经撤销过了');
  });

  it('wants a reason of 1–500 characters', () => {
    expect(message(checkReason('  ', 'reverseReason'))).toBe('请填写撤销原因');
    expect(message(checkReason('', 'deleteReason'))).toBe('请填写删除原因');
    expect(message(checkReason('因'.repeat(501), 'reverseReason'))).toBe('撤销原因不能超过 500 个字');
    expect(checkReason(' 核销到了错误的账单 ', 'reverseReason')).toBeNull();
  });
});

describe('the workbench', () => {
  const bills = [bill(12, '3000.00'), bill(13, '2000.00'), bill(14, '0.05')];

  it('keeps the remaining amount exact, red below zero, and leaves non-numbers out', () => {
    expect(remainingOf('5000.00', {})).toEqual({ entered: '0.00', remaining: '5000.00', negative: false, complete: true, count: 0 });
    expect(remainingOf('5000.00', { 12: '3000', 13: '1999.99' })).toMatchObject({ entered: '4999.99', remaining: '0.01', negative: false });
    expect(remainingOf('5000.00', { 12: '3000', 13: '2000.01' })).toMatchObject({ remaining: '-0.01', negative: true });
    expect(remainingOf('5000.00', { 12: '3000', 13: 'abc', 14: ' ' })).toMatchObject({ entered: '3000.00', remaining: '2000.00', complete: false, count: 2 });
    // Where a float would drift (0.1 + 0.2), the decimals do not.
    expect(remainingOf('0.30', { 1: '0.1', 2: '0.2' })).toMatchObject({ entered: '0.30', remaining: '0.00', negative: false });
    expect(remainingOf('999999999999.99', { 1: '999999999999.98' }).remaining).toBe('0.01');
    expect(subtractDecimal('0.3', '0.1')).toBe('0.2');
  });

  it('checks each amount against its bill as the server will', () => {
    expect(checkAllocationLine('', bills[0]!)).toBeNull();
    expect(checkAllocationLine('3000', bills[0]!)).toBeNull();
    expect(checkAllocationLine('3000.01', bills[0]!)).toMatchObject({
      field: 'bill:12',
      code: 'EXCEEDS_OUTSTANDING',
      message: '账单 B202610-000012 的核销金额 3000.01 超过其未结金额 3000.00',
    });
    expect(message(checkAllocationLine('0', bills[0]!))).toBe('核销金额必须大于 0');
    expect(message(checkAllocationLine('1.001', bills[0]!))).toBe('核销金额最多保留 2 位小数');
  });

  it('checks the request as a whole: something chosen, not more than the payment has left', () => {
    expect(validateAllocations({}, bills, '5000.00').map(message)).toEqual(['请至少选择一张账单并填写核销金额']);
    expect(validateAllocations({ 12: ' ' }, bills, '5000.00')[0]?.code).toBe('REQUIRED');
    expect(validateAllocations({ 12: '3000', 13: '2000' }, bills, '5000.00')).toEqual([]);
    expect(validateAllocations({ 12: '3000', 13: '2000', 14: '0.01' }, bills, '5000.00').map(message)).toEqual([
      '核销合计 5000.01 超过收款的未核销金额 5000.00',
    ]);
    // Row problems first; the total only once every row is right.
    expect(validateAllocations({ 12: '3000.01', 13: 'x' }, bills, '100').map((e) => e.field)).toEqual(['bill:12', 'bill:13']);
    const many = Array.from({ length: 201 }, (_, i) => bill(i + 1, '1.00'));
    const entries = Object.fromEntries(many.map((b) => [b.bill_id, '1']));
    expect(validateAllocations(entries, many, '1000.00').map(message)).toEqual(['一次最多核销 200 张账单']);
  });

  it('sends one line per bill with an amount, oldest first, and maps the server’s paths back', () => {
    const lines = allocationRequest({ 13: ' 2000 ', 12: '3000.00', 14: '' }, bills);
    expect(lines).toEqual([
      { bill_id: 12, amount: '3000.00' },
      { bill_id: 13, amount: '2000' },
    ]);
    expect(billOfPath('allocations[1].amount', lines)).toBe(13);
    expect(billOfPath('allocations[5].amount', lines)).toBeNull();
    expect(billOfPath('allocations', lines)).toBeNull();
  });

  it('fills a ticked bill with what it can take of what is left', () => {
    expect(fillAmount(bills[0]!, '5000.00', {})).toBe('3000.00');
    expect(fillAmount(bills[1]!, '5000.00', { 12: '3000.00' })).toBe('2000.00');
    expect(fillAmount(bills[1]!, '4500.00', { 12: '3000.00' })).toBe('1500.00');
    // The bill's own amount does not count against it.
    expect(fillAmount(bills[0]!, '5000.00', { 12: '10' })).toBe('3000.00');
    // Nothing left: the whole outstanding amount, so the shortfall shows.
    expect(fillAmount(bills[1]!, '3000.00', { 12: '3000.00' })).toBe('2000.00');
    expect(fillAmount(bills[1]!, '3000.00', { 12: 'abc' })).toBe('2000.00');
  });

  it('turns a suggestion into the entries', () => {
    const suggestion: AllocationSuggestion = {
      kind: 'subset',
      reason: '2 张账单的未结金额合计正好等于收款的未核销金额 5000.00',
      total: '5000.00',
      allocations: [
        { bill_id: 12, bill_no: 'B202610-000012', period: '2026-10', outstanding: '3000.00', amount: '3000.00' },
        { bill_id: 13, bill_no: 'B202610-000013', period: '2026-10', outstanding: '2000.00', amount: '2000.00' },
      ],
    };
    expect(suggestionEntries(suggestion)).toEqual({ 12: '3000.00', 13: '2000.00' });
    expect(remainingOf('5000.00', suggestionEntries(suggestion)).remaining).toBe('0.00');
  });
});
