/**
 * The helpers every page shares: columns and their sort arrows, a list's filters as a
 * request's query, money on screen, the rule helpers the rules files are built from, the
 * messages of a rule in either language, and the status filter of an import's rows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import i18n from '@/locale';
import { ruleMessenger } from '@/locale/rule-message';
import { rowsOfStatus } from '@/hooks/useFileImport';
import { exportQuery, presentFilters, totalsOf } from '@/hooks/useListQuery';
import { columnFactory, withSortOrder } from '@/utils/columns';
import { atLeastCents, formatCount, formatMoney, isPositive, toCents } from '@/utils/money';
import { checkCents, checkReasonText, fill, problemMaker, readDecimalField } from '@/utils/rules';

afterEach(() => {
  i18n.global.locale.value = 'zh-CN';
});

describe('columns', () => {
  const column = columnFactory((key) => `[${key}]`, 'bills.columns', { sortable: ['total'] });

  it('titles a column from the locale, renders it from its slot, and marks the sortable ones', () => {
    expect(column('total', { width: 130 })).toEqual({
      title: '[bills.columns.total]',
      dataIndex: 'total',
      slotName: 'total',
      sortable: { sortDirections: ['ascend', 'descend'], sorter: true },
      width: 130,
    });
    expect(column('period')).not.toHaveProperty('sortable');
  });

  it('shows the list’s sort order on its column, and sorts nothing in a table without one', () => {
    const columns = [column('total'), column('period')];
    expect(withSortOrder(columns, '-total')[0]?.sortable).toMatchObject({ sortOrder: 'descend' });
    expect(withSortOrder(columns, 'total')[0]?.sortable).toMatchObject({ sortOrder: 'ascend' });
    expect(withSortOrder(columns, '')[0]?.sortable).toMatchObject({ sortOrder: '' });
    expect(withSortOrder(columns, undefined)[0]?.sortable).toBeUndefined();
    expect(withSortOrder(columns, '-total')[1]).toBe(columns[1]);
  });
});

describe('a list’s filters as a query', () => {
  const keys = ['q', 'status', 'sort'] as const;

  it('sends only what is set', () => {
    expect(presentFilters({ q: '锦城', status: '', sort: '-total' }, keys)).toEqual({ q: '锦城', sort: '-total' });
  });

  it('exports the applied filters with the format, never the paging', () => {
    const applied: Record<string, string> = { q: 'a', status: 'draft', page: '3', page_size: '50' };
    expect(exportQuery(applied, keys, 'xlsx')).toEqual({ q: 'a', status: 'draft', format: 'xlsx' });
  });

  it('finds the totals a list answers beside its page', () => {
    expect(totalsOf({ items: [], total: 0, totals: { count: 2 } })).toEqual({ count: 2 });
    expect(totalsOf({ items: [], total: 0, totals: undefined })).toBeNull();
    expect(totalsOf({ items: [], total: 0 })).toBeUndefined();
    expect(totalsOf(null)).toBeUndefined();
  });
});

describe('money', () => {
  it('shows amounts exactly as the server wrote them, grouped', () => {
    expect(formatMoney('1234567.5')).toBe('1,234,567.5');
    expect(formatMoney(null)).toBe('—');
    expect(formatMoney('')).toBe('—');
    expect(formatCount(12345)).toBe('12,345');
  });

  it('rounds to cents half-up, pads computed amounts, and tells money that is there', () => {
    expect(toCents(' 10.005 ')).toBe('10.01');
    expect(atLeastCents('12.3')).toBe('12.30');
    expect(atLeastCents('1.005')).toBe('1.005');
    expect(isPositive('0.01')).toBe(true);
    expect(isPositive('0.00')).toBe(false);
    expect(isPositive('-5')).toBe(false);
    expect(isPositive('abc')).toBe(false);
    expect(isPositive(undefined)).toBe(false);
  });
});

describe('rule helpers', () => {
  const MESSAGES = {
    required: '请填写{}',
    notANumber: '{}不是有效的数字',
    tooManyDecimals: '{}最多保留 {} 位小数',
    outOfRange: '{}超出允许范围',
    reasonTooLong: '{}不能超过 {} 个字',
  };
  const problem = problemMaker(MESSAGES);
  const at = { field: 'amount', label: 'amount', name: '金额' };

  it('fills placeholders in order, like format!', () => {
    expect(fill('{}最多保留 {max} 位小数', '单价', 4)).toBe('单价最多保留 4 位小数');
    expect(fill('{}和{}', 'a')).toBe('a和{}');
  });

  it('reads a decimal field in the server’s order', () => {
    expect(readDecimalField(' ', at, problem).error).toMatchObject({ code: 'REQUIRED', message: '请填写金额', params: { label: 'amount' } });
    expect(readDecimalField('1e3', at, problem).error).toMatchObject({ code: 'NOT_A_NUMBER', message: '金额不是有效的数字' });
    expect(readDecimalField('1.00001', at, problem).error).toMatchObject({ code: 'TOO_MANY_DECIMALS', params: { max: 4 } });
    expect(readDecimalField('1000000000000000', at, problem).error).toMatchObject({ code: 'OUT_OF_RANGE' });
    expect(readDecimalField(' -12.5000 ', at, problem).read).toEqual({ trimmed: '-12.5000', value: -125000n, decimals: 1, units: -125000n });
  });

  it('wants whole cents and at most 999,999,999,999.99 for money', () => {
    const cents = (text: string) => {
      const { read } = readDecimalField(text, at, problem);
      return read ? checkCents(read, at, problem) : null;
    };
    expect(cents('10.50')).toBeNull();
    expect(cents('10.505')).toMatchObject({ code: 'TOO_MANY_DECIMALS', message: '金额最多保留 2 位小数', params: { max: 2 } });
    expect(cents('1000000000000')).toMatchObject({ code: 'OUT_OF_RANGE' });
  });

  it('wants a reason, counted in characters', () => {
    const reason = { field: 'reason', label: 'voidReason', name: '作废原因' };
    expect(checkReasonText('  ', reason, 3, problem)).toMatchObject({ code: 'REQUIRED', message: '请填写作废原因' });
    expect(checkReasonText('重复开具', reason, 3, problem)).toMatchObject({ code: 'TOO_LONG', message: '作废原因不能超过 3 个字', params: { max: 3 } });
    expect(checkReasonText(' 重复 ', reason, 3, problem)).toBeNull();
  });

  it('says a problem in the server’s words in Chinese, translated otherwise', () => {
    const message = ruleMessenger('payments');
    const error = problemMaker({ required: '请填写{label}' })('amount', 'REQUIRED', 'required', { label: 'amount' }, ['收款金额']);
    expect(message(error)).toBe('请填写收款金额');
    expect(message(null)).toBeNull();
    i18n.global.locale.value = 'en-US';
    expect(message(error)).not.toBe('请填写收款金额');
    expect(message(error)).toContain(i18n.global.t('payments.labels.amount'));
  });
});

describe('an import’s rows by status', () => {
  const rows = [
    { row: 2, status: 'created' },
    { row: 3, status: 'rejected' },
    { row: 9, status: 'rejected' },
  ];

  it('shows all, or one status', () => {
    expect(rowsOfStatus(rows, 'all')).toHaveLength(3);
    expect(rowsOfStatus(rows, 'rejected').map((r) => r.row)).toEqual([3, 9]);
    expect(rowsOfStatus(rows, 'skipped')).toEqual([]);
  });
});
