import { beforeEach, describe, expect, it } from 'vitest';
import { nextTick } from 'vue';
import { ApiError } from '@/api/http';
import type { Customer } from '@/api/types';
import i18n, { messages } from '@/locale';
import { loadVisibleColumns, useColumnSettings } from '@/hooks/useColumnSettings';
import { FIELD_HEADERS, PROFILE_FIELDS, validateProfile, validateTags, validatePaymentTerms, type RuleError } from '@/utils/customer-rules';
import {
  BATCH_ACTIONS,
  FILTER_KEYS,
  allowedBatchActions,
  batchFilter,
  describeFilters,
} from '@/views/customers/data';
import { sortOrderOf, toSortParam } from '@/utils/columns';
import { emptyModel, fieldProblem, serverFieldErrors, toInput, toModel, toPatch } from '@/views/customers/form/data';

const customer = (over: Partial<Customer> = {}): Customer => ({
  id: 12,
  customer_code: 'C100006',
  company_name: '上海锦城不动产股份有限公司',
  credit_code: null,
  industry: '物业管理',
  level: 'A',
  region: '上海市',
  address: null,
  contact_name: '马秀芳',
  contact_phone: '19632056966',
  contact_email: null,
  account_id: 'acct_6d7fb6be',
  account_status: 'trial',
  device_series: ['L', 'N'],
  sales_owner_id: 3,
  sales_owner: { id: 3, display_name: '张伟' },
  ops_owner_id: null,
  ops_owner: null,
  signed_at: '2019-08-20',
  contract_end_at: null,
  remarks: null,
  tags: ['VIP'],
  price_plan: null,
  payment_terms_days: 15,
  version: 3,
  allowed_transitions: ['active'],
  created_at: '2026-11-01T00:00:00Z',
  created_by: 1,
  updated_at: '2026-11-01T00:00:00Z',
  updated_by: 1,
  is_deleted: false,
  deleted_at: null,
  ...over,
});

describe('column settings', () => {
  const all = ['a', 'b', 'c', 'd'];
  beforeEach(() => localStorage.clear());

  it('starts from the defaults, in table order', () => {
    expect(loadVisibleColumns('t', all, ['c', 'a'])).toEqual(['a', 'c']);
  });

  it('keeps only columns that still exist, and ignores garbage', () => {
    localStorage.setItem('opcms.columns.t', JSON.stringify(['d', 'gone', 'b']));
    expect(loadVisibleColumns('t', all, ['a'])).toEqual(['b', 'd']);
    localStorage.setItem('opcms.columns.t', '{not json');
    expect(loadVisibleColumns('t', all, ['a'])).toEqual(['a']);
    localStorage.setItem('opcms.columns.t', '[]');
    expect(loadVisibleColumns('t', all, ['a'])).toEqual(['a']);
  });

  it('remembers a choice per table', async () => {
    const settings = useColumnSettings('t', all, ['a']);
    settings.setVisible(['c', 'b']);
    await nextTick();
    expect(JSON.parse(localStorage.getItem('opcms.columns.t') ?? '[]')).toEqual(['b', 'c']);
    expect(useColumnSettings('t', all, ['a']).visible.value).toEqual(['b', 'c']);
    settings.reset();
    await nextTick();
    expect(loadVisibleColumns('t', all, ['a'])).toEqual(['a']);
  });
});

describe('customer list helpers', () => {
  it('maps the sort parameter to and from column sort orders', () => {
    expect(sortOrderOf('-signed_at', 'signed_at')).toBe('descend');
    expect(sortOrderOf('signed_at', 'signed_at')).toBe('ascend');
    expect(sortOrderOf('-signed_at', 'level')).toBe('');
    expect(toSortParam('level', 'ascend')).toBe('level');
    expect(toSortParam('level', 'descend')).toBe('-level');
    expect(toSortParam('level', '')).toBe('');
  });

  it('describes applied filters as chips, one for the date range, none for sort or deleted', () => {
    const chips = describeFilters(
      { q: '锦城', status: 'trial,active', owner_id: '3', signed_from: '2024-01-01', signed_to: '', sort: '-level', deleted: 'true' },
      (key) => `[${key}]`,
      (key, value) => (key === 'status' ? ({ trial: '试用', active: '正式' } as Record<string, string>)[value] ?? value : key === 'owner_id' ? '张伟' : value),
    );
    expect(chips).toEqual([
      { keys: ['q'], label: '[q]', values: ['锦城'] },
      { keys: ['status'], label: '[status]', values: ['试用', '正式'] },
      { keys: ['owner_id'], label: '[owner_id]', values: ['张伟'] },
      { keys: ['signed_from', 'signed_to'], label: '[signed]', values: ['2024-01-01 ~ …'] },
    ]);
    expect(describeFilters({}, String, (_, v) => v)).toEqual([]);
  });

  it('keeps every filter in the URL', () => {
    for (const key of ['q', 'status', 'level', 'industry', 'series', 'owner_id', 'region', 'tags', 'signed_from', 'signed_to', 'sort']) {
      expect(FILTER_KEYS).toContain(key);
    }
  });

  it('sends the applied filters, not paging or sort, for "select all matching"', () => {
    expect(batchFilter({ q: '物业', plan_id: 'none', sort: '-id', deleted: '', tags: '' })).toEqual({ q: '物业', plan_id: 'none' });
  });

  it('offers sales the tag actions only', () => {
    const can = (granted: string[]) => (p: string) => granted.includes(p);
    // Setting a price plan needs pricing.manage on top of customers.edit.
    expect(allowedBatchActions(can(['customers.view', 'customers.edit']))).toEqual(BATCH_ACTIONS.filter((a) => a !== 'set_price_plan'));
    expect(allowedBatchActions(can(['customers.view', 'customers.edit', 'pricing.manage']))).toEqual(BATCH_ACTIONS);
    expect(BATCH_ACTIONS).toContain('set_price_plan');
    expect(allowedBatchActions(can(['customers.view', 'customers.edit_contact']))).toEqual(['add_tag', 'remove_tag']);
    expect(allowedBatchActions(can(['customers.view']))).toEqual([]);
  });
});

describe('customer form', () => {
  it('creates with blank fields left out', () => {
    const model = { ...emptyModel(), company_name: '某公司', device_series: ['X'], contact_phone: ' ' };
    expect(toInput(model)).toEqual({
      company_name: '某公司',
      device_series: ['X'],
      account_status: 'trial',
      tags: [],
      payment_terms_days: 15,
    });
  });

  it('patches only what changed, plus the version; a cleared field is null', () => {
    const original = customer();
    const model = toModel(original);
    expect(toPatch(model, original)).toEqual({ version: 3 });
    model.contact_phone = '13800138000';
    model.region = '';
    model.device_series = ['N', 'L']; // same set, other order
    model.tags = ['VIP', '重点'];
    model.sales_owner_id = undefined;
    model.payment_terms_days = 30;
    expect(toPatch(model, original)).toEqual({
      version: 3,
      contact_phone: '13800138000',
      region: null,
      tags: ['VIP', '重点'],
      sales_owner_id: null,
      payment_terms_days: 30,
    });
  });

  it('limits a sales patch to the contact fields', () => {
    const original = customer();
    const model = { ...toModel(original), contact_name: '李明', company_name: '别的公司' };
    expect(toPatch(model, original, ['contact_name', 'contact_phone', 'contact_email'])).toEqual({ version: 3, contact_name: '李明' });
  });

  it('puts server errors on the fields they name', () => {
    const invalid = new ApiError(400, 'VALIDATION_FAILED', '输入有误', [
      { field: 'contact_phone', code: 'INVALID_PHONE', message: '联系电话格式不正确' },
      { code: 'X', message: 'no field' },
    ]);
    expect(serverFieldErrors(invalid)).toEqual({ contact_phone: '联系电话格式不正确' });
    const dup = new ApiError(409, 'DUPLICATE_COMPANY_NAME', '公司名称已存在', [
      { field: 'company_name', code: 'DUPLICATE_COMPANY_NAME', message: '公司名称已存在' },
    ]);
    expect(serverFieldErrors(dup)).toEqual({ company_name: '公司名称已存在' });
    expect(serverFieldErrors(new ApiError(409, 'DUPLICATE_ACCOUNT_ID', '平台账号已被使用'))).toEqual({ account_id: '平台账号已被使用' });
    expect(serverFieldErrors(new ApiError(409, 'VERSION_CONFLICT', '已被修改'))).toEqual({});
  });

  it('checks tags and payment terms besides the profile', () => {
    const model = { ...emptyModel(), tags: ['字'.repeat(21)], payment_terms_days: 400 };
    expect(fieldProblem('tags', model)?.message).toBe('每个标签不能超过 20 个字符');
    expect(fieldProblem('payment_terms_days', model)?.message).toBe('账期须为 0 到 365 天');
    expect(fieldProblem('sales_owner_id', model)).toBeNull();
    expect(fieldProblem('contact_phone', { ...model, contact_phone: '1381234' })?.code).toBe('INVALID_PHONE');
  });
});

describe('rule messages in both languages', () => {
  const samples: RuleError[] = [
    ...validateProfile({
      customer_code: 'C 1',
      company_name: '',
      credit_code: '9135',
      industry: '农业',
      level: 'D',
      region: '区'.repeat(51),
      contact_phone: '1',
      contact_email: 'a@',
      account_id: 'a b',
      account_status: '?',
      device_series: 'X、Q',
      signed_at: '去年',
    }),
    ...validateProfile({ company_name: '某', device_series: [], credit_code: '91350100M000100Y44', signed_at: '2024-01-02', contract_end_at: '2024-01-01' }),
    ...[validateTags(['字'.repeat(21)]), validateTags(Array.from({ length: 21 }, (_, i) => String(i)))].flatMap((r) => (r.ok ? [] : [r.error])),
    validatePaymentTerms(-1)!,
  ];

  it('covers every rule', () => {
    expect(new Set(samples.map((e) => e.key))).toEqual(new Set(Object.keys(messages['zh-CN'].customers.rules)));
  });

  it('says in zh-CN exactly what the rules (and the server) say', () => {
    const { t } = i18n.global;
    i18n.global.locale.value = 'zh-CN';
    for (const e of samples) {
      expect(t(`customers.rules.${e.key}`, { field: t(`customers.fields.${e.field}`), ...e.params })).toBe(e.message);
    }
  });

  it('labels the fields with the import headers in zh-CN', () => {
    for (const field of PROFILE_FIELDS) expect(messages['zh-CN'].customers.fields[field]).toBe(FIELD_HEADERS[field]);
  });
});
