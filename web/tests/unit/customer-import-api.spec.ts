import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { CustomerExportQuery } from '@/api/types';
import { clientPath, downloadImportOriginal, downloadImportReport, exportCustomers, importCustomers, listImports } from '@/api/customer-import';
import { exportQuery } from '@/hooks/useListQuery';
import { FILTER_KEYS } from '@/views/customers/data';

describe('customer import and export requests', () => {
  let mock: MockAdapter;

  beforeEach(() => {
    mock = new MockAdapter(http);
    URL.createObjectURL = vi.fn(() => 'blob:test');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => undefined);
  });

  afterEach(() => mock.restore());

  it('posts the file as the multipart field `file` with dry_run in the query', async () => {
    const file = new File(['客户编号,公司名称\n'], '客户.csv', { type: 'text/csv' });
    const seen: { params: unknown; file: unknown; silent: unknown }[] = [];
    mock.onPost('/customers/import').reply((config) => {
      const form = config.data as FormData;
      seen.push({ params: config.params, file: form.get('file'), silent: config.silent });
      return [200, { import_id: 1 }];
    });

    await importCustomers(file, true);
    await importCustomers(file, false);

    expect(seen.map((s) => s.params)).toEqual([{ dry_run: 'true' }, { dry_run: 'false' }]);
    for (const s of seen) {
      expect((s.file as File).name).toBe('客户.csv');
      expect(s.silent).toBe(true);
    }
  });

  it('pages the import history', async () => {
    mock.onGet('/customers/imports').reply((config) => [200, { items: [], total: 0, ...config.params }]);
    await expect(listImports({ page: 2, page_size: 10 })).resolves.toMatchObject({ page: 2, page_size: 10 });
  });

  it('follows the report_url the server gave, under the client base', async () => {
    expect(clientPath('/api/v1/customers/import/7/report.xlsx')).toBe('/customers/import/7/report.xlsx');
    expect(clientPath('/customers/import/7/report.xlsx')).toBe('/customers/import/7/report.xlsx');
    mock.onGet('/customers/import/7/report.xlsx').reply(200, new Blob(['x']));
    await expect(downloadImportReport(7, '/api/v1/customers/import/7/report.xlsx')).resolves.toBe('customer-import-7-report.xlsx');
    await expect(downloadImportReport(7)).resolves.toBe('customer-import-7-report.xlsx');
  });

  it('downloads the original of an import under its own name', async () => {
    mock.onGet('/customers/import/7/original').reply(200, new Blob(['x']));
    await expect(downloadImportOriginal(7, '客户.csv')).resolves.toBe('客户.csv');
  });

  it('exports with the list filters (no paging, no blanks) and the format', async () => {
    const applied: Record<string, string> = { q: '锦城', status: 'trial,active', level: '', sort: '-level', page: '3', page_size: '50' };
    const query = exportQuery(applied, FILTER_KEYS, 'csv') as CustomerExportQuery;
    expect(query).toEqual({ q: '锦城', status: 'trial,active', sort: '-level', format: 'csv' });
    mock.onGet('/customers/export').reply((config) => [200, new Blob(['a']), { 'content-disposition': `attachment; filename="c-${config.params.format}.csv"` }]);
    await expect(exportCustomers(query)).resolves.toBe('c-csv.csv');
    expect(mock.history.get?.[0]?.params).toEqual({ q: '锦城', status: 'trial,active', sort: '-level', format: 'csv' });
  });
});
