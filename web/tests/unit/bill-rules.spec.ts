/**
 * The bill checks mirror crates/domain/src/billing/ (lines.rs, status.rs), period.rs and
 * the bills service's own messages: same order, same paths, same Chinese words. Line
 * amounts are exact: quantity × unit price on scaled BigInt, half-up to the cent.
 */
import { describe, expect, it } from 'vitest';
import type { BillSummary } from '@/api/types';
import {
  checkCreditAmount,
  checkManualLine,
  checkPeriod,
  checkReason,
  checkValue,
  creditBlocker,
  emptyLine,
  emptyManualBill,
  issueBlocker,
  lastPeriod,
  lineAmount,
  manualBillRequest,
  manualSubtotal,
  MAX_MANUAL_LINES,
  previousPeriod,
  validateManualBill,
  voidBlocker,
  type ManualLineDraft,
} from '@/utils/bill-rules';
import { groupThousands, multiplyDecimal } from '@/utils/decimal';

const message = (e: { message: string } | null) => e?.message ?? null;
const priced = (quantity: string, unit_price: string, description = '安装费'): ManualLineDraft => ({ ...emptyLine('priced'), description, quantity, unit_price });
const amount = (value: string, description = '调整'): ManualLineDraft => ({ ...emptyLine('amount'), description, amount: value });

describe('exact decimals', () => {
  it('multiplies at the sum of the scales, signs included', () => {
    expect(multiplyDecimal('3', '0.3350')).toBe('1.0050');
    expect(multiplyDecimal('2', '150.00')).toBe('300.00');
    expect(multiplyDecimal('-1.5', '0.2')).toBe('-0.30');
    expect(multiplyDecimal('0.0001', '0.0001')).toBe('0.00000001');
    expect(multiplyDecimal('99999999999.9999', '99999999999.9999')).toBe('9999999999999980000000.00000001');
  });

  it('groups thousands on the text, never through a number', () => {
    expect(groupThousands('1234567.50')).toBe('1,234,567.50');
    expect(groupThousands('999.00')).toBe('999.00');
    expect(groupThousands('-1000')).toBe('-1,000');
    expect(groupThousands('12345678901234567890.12')).toBe('12,345,678,901,234,567,890.12');
    expect(groupThousands('n/a')).toBe('n/a');
  });
});

describe('manual line amounts (lines.rs validate_manual_lines)', () => {
  it('rounds quantity × unit price half-up once per line', () => {
    expect(lineAmount(priced('3', '0.3350'))).toEqual({ raw: '1.0050', amount: '1.01' });
    expect(lineAmount(priced('3', '0.3349'))).toEqual({ raw: '1.0047', amount: '1.00' });
    expect(lineAmount(priced('1', '0.0050'))).toEqual({ raw: '0.0050', amount: '0.01' });
    expect(lineAmount(priced('0.5', '0.0049'))?.amount).toBe('0.00');
    expect(lineAmount(priced(' 2 ', '150'))).toEqual({ raw: '300', amount: '300.00' });
  });

  it('takes an amount as it is, in cents', () => {
    expect(lineAmount(amount('12.5'))).toEqual({ raw: '12.5', amount: '12.50' });
    expect(lineAmount(amount('12.500'))).toEqual({ raw: '12.500', amount: '12.50' });
    expect(lineAmount(amount('1.005'))).toBeNull();
  });

  it('has no amount while a value is not valid', () => {
    expect(lineAmount(priced('', '1'))).toBeNull();
    expect(lineAmount(priced('-1', '1'))).toBeNull();
    expect(lineAmount(priced('1', '0.00001'))).toBeNull();
    expect(lineAmount(priced('1e3', '1'))).toBeNull();
  });

  it('sums the rounded lines like the server’s test (1.01 + 12.50 = 13.51)', () => {
    expect(manualSubtotal([priced('3', '0.3350'), amount('12.5')])).toEqual({ amount: '13.51', complete: true });
    expect(manualSubtotal([priced('3', '0.3350'), amount('')])).toEqual({ amount: '1.01', complete: false });
  });
});

describe('manual line checks, at the request’s paths', () => {
  it('words every problem as the server does (its test’s lines)', () => {
    const errors = [
      ...checkManualLine(priced('-1', '1', ''), 0),
      ...checkManualLine(amount('1.005', 'x'), 1),
    ];
    expect(errors.map((e) => [e.field, e.code, e.message])).toEqual([
      ['lines[0].description', 'REQUIRED', '请填写明细说明'],
      ['lines[0].quantity', 'NEGATIVE', '数量不能为负数'],
      ['lines[1].amount', 'TOO_MANY_DECIMALS', '金额最多保留 2 位小数'],
    ]);
  });

  it('checks a value’s form, then its sign, then cents', () => {
    const value = (text: string) => message(checkValue(text, 'amount', 'amount', { sign: 'nonNegative', cents: true }));
    expect(value('')).toBe('请填写金额');
    expect(value('abc')).toBe('金额不是有效的数字');
    expect(value('1.')).toBe('金额不是有效的数字');
    expect(value('1.00001')).toBe('金额最多保留 4 位小数');
    expect(value('99999999999999999999')).toBe('金额超出允许范围');
    // Negative before cents, as lines.rs checks them.
    expect(value('-1.005')).toBe('金额不能为负数');
    expect(value('0')).toBeNull();
    expect(value('-0')).toBeNull();
    expect(value('1.50000')).toBeNull();
    expect(message(checkValue('x', 'lines[0].unit_price', 'unitPrice', { sign: 'nonNegative' }))).toBe('单价不是有效的数字');
  });

  it('limits the description to 100 characters, counted as characters', () => {
    expect(checkManualLine(priced('1', '1', '费'.repeat(100)), 0)).toEqual([]);
    expect(message(checkManualLine(priced('1', '1', '费'.repeat(101)), 0)[0] ?? null)).toBe('明细说明不能超过 100 个字');
    expect(checkManualLine(priced('1', '1', '😀'.repeat(100)), 0)).toEqual([]);
  });

  it('validates the whole form: customer, period, 1–50 lines', () => {
    const form = emptyManualBill(null, '2026-11');
    const fields = validateManualBill(form, '2026-11').map((e) => [e.field, e.message]);
    expect(fields).toEqual([
      ['customer_id', '请选择客户'],
      ['lines[0].description', '请填写明细说明'],
      ['lines[0].quantity', '请填写数量'],
      ['lines[0].unit_price', '请填写单价'],
    ]);
    form.lines = [];
    expect(validateManualBill(form, '2026-11').map((e) => e.message)).toContain('请至少填写一行账单明细');
    form.lines = Array.from({ length: MAX_MANUAL_LINES + 1 }, () => amount('1'));
    expect(validateManualBill(form, '2026-11').map((e) => e.message)).toContain('账单明细最多 50 行');
  });

  it('holds at most 999,999,999,999.99 a line and a bill, as lines.rs does', () => {
    expect(checkManualLine(amount('999999999999.99'), 0)).toEqual([]);
    expect(checkManualLine(amount('1000000000000'), 0).map((e) => [e.field, e.code, e.message])).toEqual([
      ['lines[0].amount', 'OUT_OF_RANGE', '金额超出允许范围'],
    ]);
    // 999,999.9999 × 1,000,000.0001 rounds to 1,000,000,000,000.00.
    expect(checkManualLine(priced('999999.9999', '1000000.0001'), 0).map((e) => e.field)).toEqual(['lines[0].amount']);
    const form = emptyManualBill(7, '2026-10');
    form.lines = [amount('600000000000'), amount('400000000000.00')];
    expect(validateManualBill(form, '2026-11').map((e) => [e.field, e.code, e.message])).toEqual([
      ['lines', 'OUT_OF_RANGE', '账单合计金额超出允许范围（单张账单最多 999999999999.99）'],
    ]);
    form.lines = [amount('600000000000'), amount('399999999999.99')];
    expect(validateManualBill(form, '2026-11')).toEqual([]);
  });

  it('sends quantity and unit price, or the amount, trimmed', () => {
    const form = emptyManualBill(7, '2026-10');
    form.lines = [priced(' 2 ', '150.00 ', ' 安装服务费 '), amount('84', '调整')];
    form.remarks = '  ';
    expect(manualBillRequest(form)).toEqual({
      customer_id: 7,
      period: '2026-10',
      lines: [
        { description: '安装服务费', quantity: '2', unit_price: '150.00' },
        { description: '调整', amount: '84' },
      ],
    });
    form.remarks = ' 月结 ';
    expect(manualBillRequest(form).remarks).toBe('月结');
  });
});

describe('periods', () => {
  it('finds last month across a year', () => {
    expect(previousPeriod('2026-01')).toBe('2025-12');
    expect(previousPeriod('2026-11')).toBe('2026-10');
    // 2026-12-31 20:00 UTC is already January in China.
    expect(lastPeriod(Date.UTC(2026, 11, 31, 20))).toBe('2026-12');
    expect(lastPeriod(Date.UTC(2026, 11, 31, 10))).toBe('2026-11');
  });

  it('words a period’s problems as period.rs and the bills service do', () => {
    expect(message(checkPeriod('', 'period', '2026-11'))).toBe('请填写账期');
    expect(message(checkPeriod('2026-3', 'period', '2026-11'))).toBe('账期格式应为 YYYY-MM，如 2026-03');
    expect(message(checkPeriod('1999-03', 'period', '2026-11'))).toBe('账期年份须在 2000 至 2100 之间');
    expect(message(checkPeriod('2026-13', 'period', '2026-11'))).toBe('账期月份须在 01 至 12 之间');
    expect(checkPeriod('2026-12', 'period', '2026-11')).toMatchObject({ code: 'PERIOD_IN_FUTURE', message: '账期不能晚于本月' });
    expect(checkPeriod('2026-11', 'period', '2026-11')).toBeNull();
  });
});

describe('reasons and credit notes', () => {
  it('needs a reason of 1–500 characters, named by what it is for', () => {
    expect(message(checkReason('  ', 'voidReason'))).toBe('请填写作废原因');
    expect(message(checkReason('长'.repeat(501), 'voidReason'))).toBe('作废原因不能超过 500 个字');
    expect(checkReason(' 重复出账 ', 'voidReason')).toBeNull();
    expect(message(checkReason('', 'creditReason'))).toBe('请填写红冲原因');
  });

  it('takes a credit > 0 in cents, at most what is outstanding', () => {
    expect(checkCreditAmount('10.5', '100.00')).toBeNull();
    expect(checkCreditAmount('100', '100.00')).toBeNull();
    expect(message(checkCreditAmount('', '100.00'))).toBe('请填写红冲金额');
    expect(message(checkCreditAmount('0', '100.00'))).toBe('红冲金额必须大于 0');
    expect(message(checkCreditAmount('-5', '100.00'))).toBe('红冲金额必须大于 0');
    expect(message(checkCreditAmount('1.001', '100.00'))).toBe('红冲金额最多保留 2 位小数');
    expect(checkCreditAmount('100.01', '100.00')).toMatchObject({
      code: 'CREDIT_EXCEEDS_OUTSTANDING',
      message: '红冲金额 100.01 超过账单未结金额 100.00',
    });
    expect(message(checkCreditAmount('200.5', '100.00'))).toBe('红冲金额 200.50 超过账单未结金额 100.00');
  });
});

describe('what a status allows (status.rs)', () => {
  const bill = (over: Partial<BillSummary>) => ({ status: 'draft', allocated: '0.00', warnings: [], ...over }) as Pick<BillSummary, 'status' | 'allocated' | 'warnings'>;

  it('issues only a priced draft', () => {
    expect(issueBlocker(bill({}))).toBeNull();
    expect(issueBlocker(bill({ warnings: [{ code: 'USAGE_SPIKE', message: '…' }] }))).toBeNull();
    expect(message(issueBlocker(bill({ warnings: [{ code: 'NO_PRICE_PLAN', message: '…' }] })))).toBe(
      '客户没有生效的定价方案，账单无法出账；请分配定价方案后重新生成',
    );
    expect(message(issueBlocker(bill({ status: 'issued' })))).toBe('账单当前状态为「未结算」，不能出账');
    expect(issueBlocker(bill({ warnings: [{ code: 'AMOUNT_TOO_LARGE', message: '…' }] }))?.code).toBe('AMOUNT_TOO_LARGE');
    expect(message(issueBlocker(bill({ warnings: [{ code: 'AMOUNT_TOO_LARGE', message: '…' }] })))).toBe(
      '账单金额超出系统可处理范围，无法出账；请核对用量和单价后重新生成',
    );
  });

  it('voids a draft or an issued bill with nothing allocated', () => {
    expect(voidBlocker(bill({}))).toBeNull();
    expect(voidBlocker(bill({ status: 'issued', allocated: '0.00' }))).toBeNull();
    expect(message(voidBlocker(bill({ status: 'issued', allocated: '0.01' })))).toBe('账单已有核销记录，不能作废；请先撤销核销');
    expect(message(voidBlocker(bill({ status: 'void' })))).toBe('账单当前状态为「作废」，不能作废');
  });

  it('credits an issued or partially paid bill', () => {
    expect(creditBlocker(bill({ status: 'issued' }))).toBeNull();
    expect(creditBlocker(bill({ status: 'partially_paid', allocated: '10.00' }))).toBeNull();
    expect(message(creditBlocker(bill({ status: 'draft' })))).toBe('账单当前状态为「草稿」，不能红冲调整');
    expect(creditBlocker(bill({ status: 'paid' }))?.code).toBe('INVALID_BILL_STATUS');
  });
});
