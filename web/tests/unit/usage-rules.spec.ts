import { describe, expect, it } from 'vitest';
import {
  checkDay,
  checkQuantity,
  checkSeries,
  emptyEntry,
  entryFieldOf,
  entryRequest,
  formatDuration,
  isDay,
  seriesTotals,
  shiftDay,
  sumQuantities,
  todayChina,
  validateEntry,
  yesterdayChina,
} from '@/utils/usage-rules';

const message = (e: { message: string } | null) => e?.message ?? null;

describe('usage quantity check (quantity.rs)', () => {
  it('takes plain decimals ≥ 0 with up to four decimals', () => {
    for (const ok of ['0', '-0', '1234.5', '0.0001', '120.5000', '+3', ' 42 ']) expect(checkQuantity(ok), ok).toBeNull();
  });

  it('words each problem as the server does', () => {
    expect(message(checkQuantity(''))).toBe('缺少用量');
    expect(message(checkQuantity('abc'))).toBe('用量不是有效的数字');
    expect(message(checkQuantity('1.'))).toBe('用量不是有效的数字');
    expect(message(checkQuantity('-5'))).toBe('用量不能为负数');
    expect(message(checkQuantity('0.00001'))).toBe('用量小数位数不能超过 4 位');
    expect(message(checkQuantity('99999999999999999999'))).toBe('用量超出允许范围');
    expect(checkQuantity('-5', 'records[0].quantity')?.field).toBe('records[0].quantity');
  });

  it('marks an empty value as REQUIRED, so the form waits for a save attempt', () => {
    expect(checkQuantity('  ')?.code).toBe('REQUIRED');
    expect(checkDay('')?.code).toBe('REQUIRED');
    expect(checkSeries('')?.code).toBe('REQUIRED');
  });
});

describe('series and day checks', () => {
  it('takes X, N, L in either case', () => {
    expect(checkSeries('x')).toBeNull();
    expect(checkSeries('L')).toBeNull();
    expect(message(checkSeries('Q'))).toBe('未知设备系列「Q」，应为 X、N 或 L');
  });

  it('refuses a day that does not exist or lies after today in China', () => {
    expect(isDay('2026-02-29')).toBe(false);
    expect(isDay('2028-02-29')).toBe(true);
    expect(message(checkDay('2026-13-01', 'day', '2026-11-20'))).toBe('日期「2026-13-01」无法识别');
    expect(message(checkDay('2026-11-21', 'day', '2026-11-20'))).toBe('日期 2026-11-21 晚于今天');
    expect(checkDay('2026-11-20', 'day', '2026-11-20')).toBeNull();
  });

  it('counts today in China Standard Time', () => {
    // 2026-11-20 17:30 UTC is already 2026-11-21 01:30 in Beijing.
    const now = Date.UTC(2026, 10, 20, 17, 30);
    expect(todayChina(now)).toBe('2026-11-21');
    expect(yesterdayChina(now)).toBe('2026-11-20');
    expect(shiftDay('2026-03-01', -1)).toBe('2026-02-28');
    expect(shiftDay('2026-12-31', 1)).toBe('2027-01-01');
  });
});

describe('the entry form', () => {
  it('names every problem at the request path the server uses', () => {
    const form = { records: [{ customer_id: null, series: '', day: '2099-01-01', quantity: '1.23456' }], reason: '' };
    const errors = validateEntry(form, '2026-11-20');
    expect(Object.fromEntries(errors.map((e) => [e.field, e.message]))).toEqual({
      'records[0].customer_id': '未提供客户或平台账号',
      'records[0].series': '缺少设备系列',
      'records[0].day': '日期 2099-01-01 晚于今天',
      'records[0].quantity': '用量小数位数不能超过 4 位',
    });
    expect(validateEntry({ records: [{ customer_id: 7, series: 'X', day: '2026-11-05', quantity: '120.5' }], reason: '' }, '2026-11-20')).toEqual([]);
  });

  it('sends strings only, strict, with the reason when given', () => {
    const body = entryRequest({ records: [{ customer_id: 7, series: 'x', day: '2026-11-05', quantity: ' 120.5 ' }], reason: ' 补录 ' });
    expect(body).toEqual({ records: [{ customer_id: 7, series: 'X', day: '2026-11-05', quantity: '120.5' }], reason: '补录', strict: true });
    expect(JSON.stringify(body)).not.toMatch(/"quantity":\s*\d/);
    expect(entryRequest({ records: [emptyEntry('2026-11-05')], reason: '' })).not.toHaveProperty('reason');
  });

  it('puts an account error on the customer picker', () => {
    expect(entryFieldOf('records[0].account_id')).toBe('records[0].customer_id');
    expect(entryFieldOf('records[0].quantity')).toBe('records[0].quantity');
  });
});

describe('sums and durations', () => {
  it('adds quantities exactly, in the shortest form', () => {
    expect(sumQuantities(['0.1', '0.2'])).toBe('0.3');
    expect(sumQuantities(['1234.5', '0.5000', '0'])).toBe('1235');
    expect(sumQuantities([])).toBe('0');
    expect(seriesTotals({ X: ['12.5', '0.0001'], N: [], L: ['3', '4'] })).toEqual({ X: '12.5001', N: '0', L: '7' });
  });

  it('reads durations', () => {
    expect(formatDuration(412)).toBe('412 ms');
    expect(formatDuration(3210)).toBe('3.2 s');
    expect(formatDuration(125_000)).toBe('2 min 5 s');
    expect(formatDuration(null)).toBe('—');
  });
});
