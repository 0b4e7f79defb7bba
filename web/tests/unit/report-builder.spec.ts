/**
 * The report builder's rules (views/reports/builder.ts, result.ts, useReportUrl.ts): the
 * operators each kind takes, the grouping rule, the form ⇄ definition ⇄ URL, and the
 * server's 400 details placed on the parts of the form that was sent.
 */
import { describe, expect, it } from 'vitest';
import type { ReportDataset, ReportResult } from '@/api/types';
import {
  changeFilterColumn,
  changeFilterOp,
  checkForm,
  decodeDefinition,
  emptyForm,
  encodeDefinition,
  filterRow,
  fromDefinition,
  moveColumn,
  OPERATORS,
  outsideGroup,
  placeErrors,
  sameDefinition,
  setGroupBy,
  setSums,
  toDefinition,
  toggleColumn,
  valueInputFor,
  type ReportForm,
  type Say,
} from '@/views/reports/builder';
import { resultColumns, resultRows, totalsCells } from '@/views/reports/result';
import { parseReportUrl, reportUrlQuery } from '@/views/reports/useReportUrl';

/** The bills dataset as GET /reports/datasets answers it (a part of it). */
const bills: ReportDataset = {
  key: 'bills',
  label: '账单',
  columns: [
    { key: 'bill_no', label: '账单编号', kind: 'text', groupable: false, summable: false },
    { key: 'customer_code', label: '客户编号', kind: 'text', groupable: true, summable: false },
    { key: 'company_name', label: '客户名称', kind: 'text', groupable: true, summable: false },
    { key: 'period', label: '账期', kind: 'period', groupable: true, summable: false },
    { key: 'status', label: '状态', kind: 'text', groupable: true, summable: false },
    { key: 'due_date', label: '到期日', kind: 'date', groupable: true, summable: false },
    { key: 'total', label: '应收金额', kind: 'money', groupable: false, summable: true },
    { key: 'outstanding', label: '未收金额', kind: 'money', groupable: false, summable: true },
  ],
};
const col = (key: string) => bills.columns.find((c) => c.key === key);
/** Messages that show what was found: the code and what it names. */
const say: Say = (code, params) => [code, params.label, params.kind].filter(Boolean).join(':');

const form = (over: Partial<ReportForm> = {}): ReportForm => ({ ...emptyForm('bills'), ...over });

describe('operators and value inputs', () => {
  it('gives text 等于/不等于/包含/属于 and every other kind 等于/不等于/≥/≤/属于', () => {
    expect(OPERATORS.text).toEqual(['eq', 'ne', 'contains', 'in']);
    for (const kind of ['date', 'period', 'money', 'quantity', 'integer'] as const) {
      expect(OPERATORS[kind]).toEqual(['eq', 'ne', 'gte', 'lte', 'in']);
    }
  });

  it('types a date with a date picker, a month with a month picker, 属于 as tags, the rest as text', () => {
    expect(valueInputFor('date', 'gte')).toBe('date');
    expect(valueInputFor('period', 'eq')).toBe('month');
    expect(valueInputFor('period', 'in')).toBe('tags');
    expect(valueInputFor('money', 'lte')).toBe('text');
    expect(valueInputFor('text', 'contains')).toBe('text');
  });

  it('keeps the operator when the new column’s kind takes it, and the value only for the same kind', () => {
    const row = filterRow('status', 'contains', 'paid');
    changeFilterColumn(row, col('company_name'), col('status'));
    expect(row).toMatchObject({ column: 'company_name', op: 'contains', value: 'paid' });
    changeFilterColumn(row, col('period'), col('company_name'));
    expect(row).toMatchObject({ column: 'period', op: 'eq', value: '' });
    row.op = 'in';
    row.value = '2026-01,2026-02';
    changeFilterColumn(row, col('due_date'), col('period'));
    expect(row).toMatchObject({ op: 'in', value: '' });
  });

  it('keeps the first of several values when leaving 属于', () => {
    const row = filterRow('status', 'in', 'paid，issued');
    changeFilterOp(row, 'ne');
    expect(row).toMatchObject({ op: 'ne', value: 'paid' });
  });
});

describe('columns, grouping and sums', () => {
  it('ticks, orders and unticks columns; an unticked column is no longer a key or a sum', () => {
    const f = form();
    for (const key of ['customer_code', 'period', 'total']) toggleColumn(f, key, true);
    toggleColumn(f, 'period', true);
    moveColumn(f, 2, -1);
    expect(f.columns).toEqual(['customer_code', 'total', 'period']);
    moveColumn(f, 0, -1);
    expect(f.columns[0]).toBe('customer_code');
    setGroupBy(f, ['customer_code']);
    setSums(f, ['total']);
    toggleColumn(f, 'total', false);
    expect([f.columns, f.group_by, f.sums]).toEqual([['customer_code', 'period'], ['customer_code'], []]);
  });

  it('shows a group key or a sum when it is picked', () => {
    const f = form();
    setGroupBy(f, ['customer_code']);
    setSums(f, ['total']);
    expect(f.columns).toEqual(['customer_code', 'total']);
  });

  it('names the columns shown that are neither a group key nor a sum, only when grouping', () => {
    const f = form({ columns: ['customer_code', 'company_name', 'total', 'period'], sums: ['total'] });
    expect(outsideGroup(f)).toEqual([]);
    f.group_by = ['customer_code'];
    expect(outsideGroup(f)).toEqual(['company_name', 'period']);
  });
});

describe('checkForm mirrors the server', () => {
  it('accepts bills grouped by customer with the sum of total', () => {
    const f = form({ columns: ['customer_code', 'total'], group_by: ['customer_code'], sums: ['total'] });
    expect(checkForm(f, bills, say)).toEqual([]);
  });

  it('names each wrong part by the path the server would use', () => {
    const f = form({
      columns: ['customer_code', 'company_name', 'total', 'secret'],
      group_by: ['customer_code', 'total'],
      sums: ['status'],
      filters: [
        filterRow('', '', ''),
        filterRow('total', 'contains', '1'),
        filterRow('due_date', 'lte', '2026/01/01'),
        filterRow('total', 'in', '10, abc'),
        filterRow('period', 'gte', ' '),
      ],
    });
    expect(checkForm(f, bills, say).map((p) => [p.field, p.message])).toEqual([
      ['columns[3]', 'UNKNOWN_COLUMN:secret'],
      ['group_by[1]', 'NOT_GROUPABLE:应收金额'],
      ['sums[0]', 'NOT_SUMMABLE:状态'],
      ['columns[1]', 'NOT_IN_GROUP:客户名称'],
      ['filters[0].column', 'NO_FILTER_COLUMN'],
      ['filters[1].op', 'INVALID_OP:应收金额'],
      ['filters[2].value', 'INVALID_VALUE:到期日:date'],
      ['filters[3].value', 'INVALID_VALUE:应收金额:money'],
      ['filters[4].value', 'NO_VALUE'],
    ]);
  });

  it('asks for at least one column', () => {
    expect(checkForm(form(), bills, say)).toEqual([{ field: 'columns', code: 'NO_COLUMNS', message: 'NO_COLUMNS' }]);
  });
});

describe('form ⇄ definition', () => {
  it('sends the form without row ids, values trimmed and 属于 lists tidied', () => {
    const f = form({
      columns: ['customer_code', 'total'],
      filters: [filterRow('status', 'in', ' paid，partially_paid,, '), filterRow('period', 'gte', ' 2026-01 ')],
      group_by: ['customer_code'],
      sums: ['total'],
    });
    const definition = toDefinition(f);
    expect(definition).toEqual({
      dataset: 'bills',
      columns: ['customer_code', 'total'],
      filters: [
        { column: 'status', op: 'in', value: 'paid,partially_paid' },
        { column: 'period', op: 'gte', value: '2026-01' },
      ],
      group_by: ['customer_code'],
      sums: ['total'],
    });
    expect(toDefinition(fromDefinition(definition))).toEqual(definition);
  });

  it('reads a saved definition without its optional lists, and compares definitions by meaning', () => {
    const saved = { dataset: 'usage' as const, columns: ['series', 'quantity'] };
    expect(fromDefinition(saved)).toMatchObject({ dataset: 'usage', filters: [], group_by: [], sums: [] });
    expect(sameDefinition(saved, { ...saved, filters: [], group_by: [], sums: [] })).toBe(true);
    expect(sameDefinition(saved, { ...saved, columns: ['quantity', 'series'] })).toBe(false);
  });
});

describe('placeErrors', () => {
  const sent = form({
    columns: ['customer_code', 'company_name', 'total'],
    filters: [filterRow('period', 'gte', '2026-13'), filterRow('status', 'eq', 'paid')],
    group_by: ['customer_code', 'total'],
    sums: ['total'],
  });
  const [first, second] = sent.filters;

  it('puts each detail on the part of the sent form it names', () => {
    const errors = placeErrors(
      [
        { field: 'columns[1]', code: 'NOT_IN_GROUP', message: '分组报表的列须为分组列或求和列：company_name' },
        { field: 'filters[0].value', code: 'INVALID_VALUE', message: '账期 的筛选值须为月份 YYYY-MM' },
        { field: 'filters[1].op', code: 'INVALID_OP', message: '「包含」只能用于文本列：状态' },
        { field: 'group_by[1]', code: 'NOT_GROUPABLE', message: '不能按金额或数量列分组：应收金额' },
        { field: 'sums[0]', code: 'NOT_SUMMABLE', message: 'x' },
        { field: 'name', code: 'INVALID_NAME', message: '报表名称须为 1–40 个字符' },
        { field: 'columns', code: 'INVALID_COLUMNS', message: '请选择 1–30 列' },
      ],
      sent,
    );
    expect(errors.column).toEqual({ company_name: '分组报表的列须为分组列或求和列：company_name' });
    expect(errors.filter[first!.id]).toEqual({ value: '账期 的筛选值须为月份 YYYY-MM' });
    expect(errors.filter[second!.id]).toEqual({ op: '「包含」只能用于文本列：状态' });
    expect([errors.group_by, errors.sums, errors.name, errors.columns]).toEqual(['不能按金额或数量列分组：应收金额', 'x', '报表名称须为 1–40 个字符', '请选择 1–30 列']);
    expect(errors.other).toEqual([]);
  });

  it('reads a save’s details, which name the parts under `definition.`', () => {
    const errors = placeErrors([{ field: 'definition.filters[1].op', code: 'INVALID_OP', message: '「包含」只能用于文本列：状态' }], sent);
    expect(errors.filter[second!.id]).toEqual({ op: '「包含」只能用于文本列：状态' });
  });

  it('joins several messages on one part, and keeps what names no known part for above the form', () => {
    const errors = placeErrors(
      [
        { field: 'filters[0].value', code: 'A', message: '一' },
        { field: 'filters[0].value', code: 'B', message: '二' },
        { field: 'filters[7].value', code: 'C', message: '第八个条件' },
        { field: 'columns[9]', code: 'D', message: '第十列' },
        { code: 'E', message: '没有字段' },
      ],
      sent,
    );
    expect(errors.filter[first!.id]?.value).toBe('一；二');
    expect(errors.other).toEqual(['第八个条件', '第十列', '没有字段']);
  });
});

describe('the URL', () => {
  const definition = { dataset: 'bills' as const, columns: ['customer_code', 'total'], filters: [{ column: 'status', op: 'eq' as const, value: 'paid' }], group_by: ['customer_code'], sums: ['total'] };

  it('carries a definition, the saved report and the page, and reads them back', () => {
    const query = reportUrlQuery({ report: 3, definition, page: 2, pageSize: 50 });
    expect(query).toEqual({ report: '3', def: encodeDefinition(definition), page: '2', page_size: '50' });
    expect(parseReportUrl(query as Record<string, string>)).toEqual({ report: 3, definition, page: 2, pageSize: 50 });
    expect(reportUrlQuery({ report: null, definition: null, page: null, pageSize: 20 })).toEqual({});
  });

  it('ignores what is not a definition', () => {
    expect(decodeDefinition('{"dataset":"bills"')).toBeNull();
    expect(decodeDefinition('{"dataset":"secrets","columns":[]}')).toBeNull();
    expect(decodeDefinition('{"dataset":"bills","columns":[1]}')).toBeNull();
    expect(decodeDefinition('{"dataset":"bills","columns":["a"],"filters":[{"column":"a","op":"drop","value":"x"}]}')).toBeNull();
    expect(decodeDefinition('{"dataset":"bills","columns":["a"]}')).toEqual({ dataset: 'bills', columns: ['a'], filters: [], group_by: [], sums: [] });
    expect(parseReportUrl({ report: 'x', page: '0', page_size: '33' })).toEqual({ report: null, definition: null, page: null, pageSize: 20 });
  });
});

describe('the result', () => {
  const result: ReportResult = {
    columns: [
      { key: 'customer_code', label: '客户编号', kind: 'text' },
      { key: 'total', label: '应收金额', kind: 'money' },
      { key: 'count', label: '行数', kind: 'integer' },
    ],
    rows: [
      ['C000001', '2000.00', '1'],
      ['C000002', '3000.00', '2'],
    ],
    totals: { total: '5000.00' },
    total: 22,
    page: 2,
    page_size: 20,
  };

  it('lays the answer’s columns out, numbers right-aligned, rows keyed by position', () => {
    expect(resultColumns(result).map((c) => [c.field, c.numeric])).toEqual([['c0', false], ['c1', true], ['c2', true]]);
    expect(resultRows(result)[1]).toEqual({ id: 21, c0: 'C000002', c1: '3000.00', c2: '2' });
  });

  it('puts each sum under its column and the label in the first other column', () => {
    expect(totalsCells(result, '合计')).toEqual({ c0: '合计', c1: '5000.00' });
    expect(totalsCells({ ...result, totals: {} }, '合计')).toBeNull();
  });
});
