import { describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/api/http';
import * as api from '@/api/usage';
import type { QuarantineItem } from '@/api/types';
import { actionsFor, buildResolve, draftFor, useResolve } from '@/views/usage/quarantine/useResolve';
import { reasonLabel, rejectionText } from '@/views/usage/messages';

vi.mock(import('@/api/usage'), async (original) => ({
  ...(await original()),
  resolveQuarantine: vi.fn(),
  resolveQuarantineBulk: vi.fn(),
}));

const item = (over: Partial<QuarantineItem> = {}): QuarantineItem => ({
  id: 3,
  source: 'import',
  source_id: null,
  reason: 'INVALID_QUANTITY',
  message: '用量不能为负数',
  account_id: 'acc_001',
  customer_id: 7,
  customer_code: 'C000007',
  company_name: '甲',
  series: 'L',
  day: '2026-11-05',
  quantity: '-5',
  raw: {},
  status: 'pending',
  occurrences: 1,
  created_at: '2026-11-06T00:00:00Z',
  updated_at: '2026-11-06T00:00:00Z',
  resolved_at: null,
  resolved_by: null,
  resolution: null,
  resolution_note: null,
  usage_record_id: null,
  run_id: null,
  ...over,
});

describe('resolve actions', () => {
  it('offers accept only when every record is over the limit', () => {
    expect(actionsFor([item()])).toEqual(['map_account', 'correct', 'discard']);
    expect(actionsFor([item({ reason: 'OVER_LIMIT' }), item({ id: 4, reason: 'OVER_LIMIT' })])).toContain('accept');
    expect(actionsFor([item({ reason: 'OVER_LIMIT' }), item({ id: 4 })])).not.toContain('accept');
  });

  it('correct sends only the values that changed, checked as the server does', () => {
    const one = [item()];
    const draft = { ...draftFor(one), action: 'correct' as const };
    // Nothing changed: a plain re-check (the server may read forms the form does not, e.g. 2026/11/5).
    expect(buildResolve(draft, one)).toEqual({ body: { action: 'correct' } });
    draft.quantity = '-6';
    expect(buildResolve(draft, one)).toEqual({ errors: { quantity: '用量不能为负数' } });
    draft.quantity = '12.25';
    expect(buildResolve(draft, one)).toEqual({ body: { action: 'correct', quantity: '12.25' } });
    draft.series = 'n';
    expect(buildResolve(draft, one)).toEqual({ body: { action: 'correct', series: 'N', quantity: '12.25' } });
  });

  it('map_account needs a customer, discard a note', () => {
    const many = [item({ customer_id: null }), item({ id: 4, customer_id: null })];
    expect(buildResolve({ ...draftFor(many), action: 'map_account' }, many)).toEqual({ errors: { customer_id: '请选择要关联的客户' } });
    expect(buildResolve({ ...draftFor(many), action: 'map_account', customer_id: 9 }, many)).toEqual({ body: { action: 'map_account', customer_id: 9 } });
    expect(buildResolve({ ...draftFor(many), action: 'discard' }, many)).toEqual({ errors: { note: '丢弃时请填写原因' } });
    expect(buildResolve({ ...draftFor(many), action: 'discard', note: ' 测试数据 ' }, many)).toEqual({ body: { action: 'discard', note: '测试数据' } });
    expect(buildResolve({ ...draftFor(many), action: '' }, many)).toEqual({ errors: { action: '请选择处理方式' } });
  });

  it('posts one id to the single endpoint and many to the bulk one', async () => {
    const answer = { matched: 1, resolved: 1, still_pending: 0, items: [], results: [] };
    vi.mocked(api.resolveQuarantine).mockResolvedValueOnce(answer);
    const resolve = useResolve();
    resolve.open([item()]);
    Object.assign(resolve.draft, { action: 'correct', quantity: '5' });
    await expect(resolve.submit()).resolves.toEqual({ kind: 'done', answer });
    expect(api.resolveQuarantine).toHaveBeenCalledWith(3, { action: 'correct', quantity: '5' }, { silent: true });

    vi.mocked(api.resolveQuarantineBulk).mockResolvedValueOnce(answer);
    resolve.open([item(), item({ id: 4 })]);
    Object.assign(resolve.draft, { action: 'discard', note: '重复' });
    await resolve.submit();
    expect(api.resolveQuarantineBulk).toHaveBeenCalledWith({ action: 'discard', note: '重复', ids: [3, 4] }, { silent: true });
  });

  it('resolves every record matching the filter in one request', async () => {
    const answer = { matched: 3000, resolved: 3000, still_pending: 0, items: [], results: [] };
    vi.mocked(api.resolveQuarantineBulk).mockResolvedValueOnce(answer);
    const resolve = useResolve();
    const filter = { status: 'pending', reason: 'UNKNOWN_ACCOUNT' };
    resolve.open([], { filter, count: 3000 });
    expect(resolve.actions.value).toEqual(['map_account', 'correct', 'discard']);
    Object.assign(resolve.draft, { action: 'discard', note: '无此账号' });
    await expect(resolve.submit()).resolves.toEqual({ kind: 'done', answer });
    expect(api.resolveQuarantineBulk).toHaveBeenLastCalledWith({ action: 'discard', note: '无此账号', filter }, { silent: true });
    resolve.open([], { filter: { reason: 'OVER_LIMIT' }, count: 2 });
    expect(resolve.actions.value).toContain('accept');
    // A collected record for a day already entered by hand may be accepted as a second record.
    resolve.open([], { filter: { reason: 'USAGE_EXISTS' }, count: 2 });
    expect(resolve.actions.value).toContain('accept');
  });

  it('turns 409 ALREADY_RESOLVED into its own outcome, and field errors onto fields', async () => {
    const resolve = useResolve();
    resolve.open([item()]);
    Object.assign(resolve.draft, { action: 'discard', note: 'x' });
    vi.mocked(api.resolveQuarantine).mockRejectedValueOnce(new ApiError(409, 'ALREADY_RESOLVED', '该记录已处理'));
    await expect(resolve.submit()).resolves.toEqual({ kind: 'already' });

    vi.mocked(api.resolveQuarantine).mockRejectedValueOnce(
      new ApiError(400, 'VALIDATION_FAILED', '参数错误', [{ field: 'note', code: 'TOO_LONG', message: '备注过长' }]),
    );
    await expect(resolve.submit()).resolves.toEqual({ kind: 'failed' });
    expect(resolve.errors.value).toEqual({ note: '备注过长' });
  });
});

describe('reason labels', () => {
  it('maps the codes to Chinese, but prefers the server’s message', () => {
    expect(reasonLabel('UNKNOWN_ACCOUNT')).toBe('未知账号');
    expect(reasonLabel('CUSTOMER_CLOSED')).toBe('客户已注销');
    expect(reasonLabel('SOMETHING_NEW')).toBe('SOMETHING_NEW');
    expect(rejectionText('UNKNOWN_ACCOUNT', '未知账号「acc_999」')).toBe('未知账号「acc_999」');
    expect(rejectionText('OVER_LIMIT', null)).toBe('超出合理上限');
  });
});
