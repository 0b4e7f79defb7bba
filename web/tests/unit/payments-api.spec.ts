/** The payments client against docs/api/payments.md: paths, methods, bodies, query strings. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import * as api from '@/api/payments';
import { DOWNLOAD_TIMEOUT } from '@/api/download';
import { http } from '@/api/http';

describe('payment requests', () => {
  let mock: MockAdapter;
  beforeEach(() => {
    mock = new MockAdapter(http);
    URL.createObjectURL = vi.fn(() => 'blob:test');
    URL.revokeObjectURL = vi.fn();
  });
  afterEach(() => mock.restore());

  it('lists with the filters as query parameters and reads one payment and its history', async () => {
    mock.onGet('/payments').reply((config) => [200, config.params]);
    mock.onGet('/payments/3').reply(200, { id: 3 });
    mock.onGet('/payments/3/history').reply((config) => [200, config.params]);
    await expect(api.listPayments({ status: 'unapplied,partially_applied', unassigned: 'true', page: 2, page_size: 20 })).resolves.toEqual({
      status: 'unapplied,partially_applied',
      unassigned: 'true',
      page: 2,
      page_size: 20,
    });
    await expect(api.getPayment(3)).resolves.toEqual({ id: 3 });
    await expect(api.getPaymentHistory(3, { page: 1, page_size: 10 })).resolves.toEqual({ page: 1, page_size: 10 });
  });

  it('records, edits and deletes with the reason in the body', async () => {
    mock.onPost('/payments').reply((config) => [201, JSON.parse(String(config.data))]);
    mock.onPatch('/payments/3').reply((config) => [200, JSON.parse(String(config.data))]);
    mock.onDelete('/payments/3').reply((config) => [204, JSON.parse(String(config.data))]);
    const receipt = { amount: '5000.00', received_at: '2026-11-20', method: 'bank_transfer' as const, reference: 'AB12' };
    await expect(api.createPayment(receipt)).resolves.toEqual(receipt);
    await expect(api.updatePayment(3, { version: 2, customer_id: 7 })).resolves.toEqual({ version: 2, customer_id: 7 });
    await expect(api.deletePayment(3, { reason: '重复登记' })).resolves.toEqual({ reason: '重复登记' });
  });

  it('allocates, reverses, and reads suggestions and a bill’s allocations', async () => {
    mock.onGet('/payments/3/suggestions').reply(200, { payment_id: 3 });
    mock.onPost('/payments/3/allocations').reply((config) => [200, JSON.parse(String(config.data))]);
    mock.onPost('/allocations/9/reverse').reply((config) => [200, JSON.parse(String(config.data))]);
    mock.onGet('/bills/12/allocations').reply(200, [{ id: 9 }]);
    await expect(api.getPaymentSuggestions(3)).resolves.toEqual({ payment_id: 3 });
    const body = { allocations: [{ bill_id: 12, amount: '3000.00' }] };
    await expect(api.allocatePayment(3, body)).resolves.toEqual(body);
    await expect(api.reverseAllocation(9, { reason: '核销错账单' })).resolves.toEqual({ reason: '核销错账单' });
    await expect(api.listBillAllocations(12)).resolves.toEqual([{ id: 9 }]);
  });

  it('posts a statement as multipart `file` with dry_run, waiting as long as a download', async () => {
    mock.onPost('/payments/import').reply((config) => [200, { params: config.params, timeout: config.timeout, isForm: config.data instanceof FormData, name: (config.data as FormData).get('file') instanceof File }]);
    const file = new File(['到账日期,金额\n'], '流水.xls');
    await expect(api.importPayments(file, true)).resolves.toEqual({ params: { dry_run: 'true', auto_allocate: 'false' }, timeout: DOWNLOAD_TIMEOUT, isForm: true, name: true });
    await expect(api.importPayments(file, false)).resolves.toMatchObject({ params: { dry_run: 'false' } });
    await expect(api.importPayments(file, false, {}, true)).resolves.toMatchObject({ params: { dry_run: 'false', auto_allocate: 'true' } });
    expect(api.PAYMENT_IMPORT_EXTENSIONS).toEqual(['.xlsx', '.xls', '.csv']);
  });

  it('downloads the template and the aging report with its filters, reads the aging list and a statement', async () => {
    mock.onGet('/payments/import/template').reply(200, new Blob(['x']), { 'content-disposition': 'attachment; filename="template.xlsx"' });
    mock.onGet('/receivables/aging/export').reply(200, new Blob(['x']));
    mock.onGet('/receivables/aging').reply((config) => [200, config.params]);
    mock.onGet('/customers/7/statement').reply(200, { customer: { id: 7 } });
    await expect(api.downloadPaymentTemplate()).resolves.toBe('template.xlsx');
    await expect(api.exportAging({ as_of: '2026-11-30', overdue_only: 'true', format: 'csv' })).resolves.toBe('aging.csv');
    expect(mock.history.get?.find((r) => r.url === '/receivables/aging/export')?.params).toEqual({ as_of: '2026-11-30', overdue_only: 'true', format: 'csv' });
    await expect(api.listAging({ q: '星河', page: 1, page_size: 20 })).resolves.toEqual({ q: '星河', page: 1, page_size: 20 });
    await expect(api.getCustomerStatement(7, { from: '2026-10', to: '2026-11' })).resolves.toEqual({ customer: { id: 7 } });
    expect(mock.history.get?.find((r) => r.url === '/customers/7/statement')?.params).toEqual({ from: '2026-10', to: '2026-11' });
  });

  it('exports the payment list with the filters applied', async () => {
    mock.onGet('/payments/export').reply(200, new Blob(['x']));
    await expect(api.exportPayments({ method: 'wechat', unassigned: 'true', format: 'xlsx' })).resolves.toBe('payments.xlsx');
    expect(mock.history.get?.find((r) => r.url === '/payments/export')?.params).toEqual({ method: 'wechat', unassigned: 'true', format: 'xlsx' });
  });
});
