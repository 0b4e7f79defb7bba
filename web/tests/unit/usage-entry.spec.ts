import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { ApiError, http } from '@/api/http';
import * as api from '@/api/usage';
import { useUsageEntry } from '@/views/usage/useUsageEntry';

describe('usage requests', () => {
  let mock: MockAdapter;
  beforeEach(() => {
    mock = new MockAdapter(http);
  });
  afterEach(() => mock.restore());

  it('posts the usage file as `file` with dry_run, silently', async () => {
    const seen: unknown[] = [];
    mock.onPost('/usage/import').reply((config) => {
      seen.push([config.params, (config.data as FormData).get('file'), config.silent]);
      return [200, { dry_run: true }];
    });
    const file = new File(['平台账号,设备系列,日期,用量\n'], '用量.csv', { type: 'text/csv' });
    await api.importUsage(file, true);
    await api.importUsage(file, false);
    expect(seen).toEqual([
      [{ dry_run: 'true' }, file, true],
      [{ dry_run: 'false' }, file, true],
    ]);
  });

  it('asks for a customer’s trend and the month’s points with the contract’s parameters', async () => {
    mock.onGet('/usage/trend').reply((config) => [200, config.params]);
    mock.onGet('/usage/daily').reply((config) => [200, config.params]);
    await expect(api.getUsageTrend(7, 12)).resolves.toEqual({ customer_id: 7, months: 12 });
    await expect(api.getUsageDaily({ month: '2026-11', customer_id: 7 })).resolves.toEqual({ month: '2026-11', customer_id: 7 });
  });

  it('collects with the date and, when chosen, the source', async () => {
    mock.onPost('/usage/collect').reply((config) => [200, { runs: [], body: JSON.parse(config.data as string) }]);
    await expect(api.collectUsage({ date: '2026-11-21' })).resolves.toMatchObject({ body: { date: '2026-11-21' } });
  });
});

describe('the entry form’s submit', () => {
  afterEach(() => vi.restoreAllMocks());

  it('waits for a save attempt before saying a field is empty', async () => {
    const write = vi.spyOn(api, 'writeUsage');
    const entry = useUsageEntry();
    entry.open(null);
    expect(entry.errors.value).toEqual({});
    await expect(entry.submit()).resolves.toBeNull();
    expect(write).not.toHaveBeenCalled();
    expect(entry.errors.value['records[0].customer_id']).toBe('未提供客户或平台账号');
    expect(entry.errors.value['records[0].quantity']).toBe('缺少用量');
  });

  it('sends strict and shows the server’s field errors on their fields', async () => {
    const write = vi.spyOn(api, 'writeUsage').mockRejectedValueOnce(
      new ApiError(400, 'VALIDATION_FAILED', '用量校验未通过', [
        { field: 'records[0].quantity', code: 'OVER_LIMIT', message: 'X 系列用量 999999 超出合理上限 100000' },
        { field: 'records[0].account_id', code: 'CUSTOMER_CLOSED', message: '客户账号已注销，不再计量' },
      ]),
    );
    const entry = useUsageEntry();
    entry.open(7);
    Object.assign(entry.model.records[0]!, { series: 'X', day: '2026-11-05', quantity: '999999' });
    await expect(entry.submit()).resolves.toBeNull();
    expect(write.mock.calls[0]?.[0]).toMatchObject({ strict: true, records: [{ customer_id: 7, quantity: '999999' }] });
    expect(entry.errors.value['records[0].quantity']).toBe('X 系列用量 999999 超出合理上限 100000');
    expect(entry.errors.value['records[0].customer_id']).toBe('客户账号已注销，不再计量');
    expect(entry.message.value).toBeNull();

    // Changing the value clears the server's message for it.
    entry.model.records[0]!.quantity = '99';
    expect(entry.errors.value['records[0].quantity']).toBeUndefined();
  });

  it('answers with the write’s result and keeps customer and day for the next entry', async () => {
    vi.spyOn(api, 'writeUsage').mockResolvedValueOnce({
      accepted: 1, created: 0, updated: 1, unchanged: 0, quarantined: 0, discarded: 0, conflicts: 0,
      results: [{ index: 0, status: 'updated', record_id: 12, quarantine_id: null, reason: null, message: null }],
    });
    const entry = useUsageEntry();
    entry.open(7);
    Object.assign(entry.model.records[0]!, { series: 'N', day: '2026-11-05', quantity: '3' });
    await expect(entry.submit()).resolves.toEqual({ status: 'updated', day: '2026-11-05' });
    entry.open();
    expect(entry.model.records[0]).toMatchObject({ customer_id: 7, day: '2026-11-05', series: '', quantity: '' });
  });

  it('on USAGE_EXISTS writes nothing, lists the records there, then corrects one or adds another', async () => {
    const existing = [{ id: 31, source: 'api:vendor', source_id: 'v-1', quantity: '4836.31', version: 2 }];
    const write = vi
      .spyOn(api, 'writeUsage')
      .mockRejectedValueOnce(
        new ApiError(409, 'USAGE_EXISTS', '已有记录', [{ field: 'records[0]', index: 0, existing } as unknown as { field: string; code: string; message: string }]),
      );
    const entry = useUsageEntry();
    entry.open(7);
    Object.assign(entry.model.records[0]!, { series: 'N', day: '2026-11-01', quantity: '1234.5' });
    await expect(entry.submit()).resolves.toBeNull();
    expect(entry.existing.value).toEqual(existing);
    expect(entry.message.value).toBeNull();

    // 修正已有记录: PATCH that record with its version; the form's quantity.
    const patch = vi.spyOn(api, 'correctUsage').mockResolvedValueOnce({} as never);
    await expect(entry.correct(existing[0]!, '手工录入时修正已有记录')).resolves.toEqual({ status: 'corrected', day: '2026-11-01' });
    expect(patch).toHaveBeenCalledWith(31, { quantity: '1234.5', reason: '手工录入时修正已有记录', version: 2 }, { silent: true });
    expect(entry.existing.value).toBeNull();

    // A stale version: the server's message, nothing else.
    patch.mockRejectedValueOnce(new ApiError(409, 'VERSION_CONFLICT', '该用量记录已被修改（现为 5000），请刷新后再修正'));
    await expect(entry.correct(existing[0]!, 'x')).resolves.toBeNull();
    expect(entry.message.value).toContain('已被修改');

    // 另行追加: the same request with add: true.
    write.mockResolvedValueOnce({
      accepted: 1, created: 1, updated: 0, unchanged: 0, quarantined: 0, discarded: 0, conflicts: 0,
      results: [{ index: 0, status: 'created', record_id: 40, quarantine_id: null, reason: null, message: null }],
    });
    await expect(entry.add()).resolves.toEqual({ status: 'added', day: '2026-11-01' });
    expect(write).toHaveBeenLastCalledWith(expect.objectContaining({ add: true, strict: true }), { silent: true });
  });
});
