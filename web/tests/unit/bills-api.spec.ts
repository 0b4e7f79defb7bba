import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import * as api from '@/api/bills';
import { DOWNLOAD_TIMEOUT } from '@/api/download';
import { http } from '@/api/http';

describe('bill requests', () => {
  let mock: MockAdapter;
  beforeEach(() => {
    mock = new MockAdapter(http);
    URL.createObjectURL = vi.fn(() => 'blob:test');
    URL.revokeObjectURL = vi.fn();
  });
  afterEach(() => mock.restore());

  it('waits as long as a download for a generation run', async () => {
    mock.onPost('/bills/generate').reply((config) => [200, { timeout: config.timeout, body: JSON.parse(String(config.data)) }]);
    await expect(api.generateBills({ period: '2026-10', customer_ids: [7] })).resolves.toEqual({
      timeout: DOWNLOAD_TIMEOUT,
      body: { period: '2026-10', customer_ids: [7] },
    });
  });

  it('asks for the PDF as a Blob, and as an attachment to save it', async () => {
    mock.onGet('/bills/12/pdf').reply((config) => [200, new Blob(['%PDF'], { type: config.params ? 'application/pdf' : '' }), { 'content-disposition': 'attachment; filename="B202610-000012.pdf"' }]);
    const blob = await api.fetchBillPdf(12);
    // A Blob that came without its type is labelled, so the viewer shows it.
    expect(blob.type).toBe('application/pdf');
    await expect(api.downloadBillPdf(12, 'B202610-000012')).resolves.toBe('B202610-000012.pdf');
    expect(mock.history.get?.map((r) => [r.params, r.responseType])).toEqual([
      [undefined, 'blob'],
      [{ download: 1 }, 'blob'],
    ]);
  });

  it('reads a customer’s bills and a bill’s history with paging', async () => {
    mock.onGet('/customers/7/bills').reply((config) => [200, config.params]);
    mock.onGet('/bills/12/history').reply((config) => [200, config.params]);
    await expect(api.listCustomerBills(7, { page: 2, page_size: 10 })).resolves.toEqual({ page: 2, page_size: 10 });
    await expect(api.getBillHistory(12, { page: 1, page_size: 10 })).resolves.toEqual({ page: 1, page_size: 10 });
  });
});
