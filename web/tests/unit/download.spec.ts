import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { ApiError, createHttpClient, type HttpHooks } from '@/api/http';
import { downloadFile, filenameFromDisposition } from '@/api/download';

describe('filenameFromDisposition', () => {
  it('prefers the RFC 5987 filename* over the plain one', () => {
    const header = `attachment; filename="customers.xlsx"; filename*=UTF-8''%E5%AE%A2%E6%88%B7%E5%AF%BC%E5%87%BA.xlsx`;
    expect(filenameFromDisposition(header)).toBe('客户导出.xlsx');
  });

  it('takes filename* in any order and case, with a language tag, and ISO-8859-1', () => {
    expect(filenameFromDisposition(`attachment; FILENAME*=utf-8'zh-CN'%E6%8A%A5%E5%91%8A%207.xlsx; filename=r.xlsx`)).toBe('报告 7.xlsx');
    expect(filenameFromDisposition(`attachment; filename*=iso-8859-1''na%EFve.csv`)).toBe('naïve.csv');
    // Quoted, which RFC 5987 does not allow but some servers send.
    expect(filenameFromDisposition(`attachment; filename*="UTF-8''%E5%AE%A2.csv"`)).toBe('客.csv');
  });

  it('reads a plain filename, quoted (with escapes) or not', () => {
    expect(filenameFromDisposition('attachment; filename="a \\"b\\"; c.csv"')).toBe('a "b"; c.csv');
    expect(filenameFromDisposition('attachment; filename=report.xlsx')).toBe('report.xlsx');
    expect(filenameFromDisposition('attachment;filename = "spaced.xlsx" ')).toBe('spaced.xlsx');
  });

  it('falls back to filename when filename* cannot be decoded', () => {
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''%E5%E5.xlsx; filename="fallback.xlsx"`)).toBe('fallback.xlsx');
    expect(filenameFromDisposition(`attachment; filename*=koi8-r''%C1.txt; filename="plain.txt"`)).toBe('plain.txt');
  });

  it('repairs a raw UTF-8 name that XMLHttpRequest handed over byte by byte', () => {
    const raw = String.fromCharCode(...new TextEncoder().encode('客户.xlsx'));
    expect(filenameFromDisposition(`attachment; filename="${raw}"`)).toBe('客户.xlsx');
  });

  it('keeps only the name, never a folder', () => {
    expect(filenameFromDisposition('attachment; filename="../../etc/passwd"')).toBe('passwd');
    expect(filenameFromDisposition(`attachment; filename*=UTF-8''..%2F..%2Fx.csv`)).toBe('x.csv');
    expect(filenameFromDisposition('attachment; filename=".."')).toBeNull();
  });

  it('is null without a file name', () => {
    expect(filenameFromDisposition(undefined)).toBeNull();
    expect(filenameFromDisposition('')).toBeNull();
    expect(filenameFromDisposition('attachment')).toBeNull();
    expect(filenameFromDisposition('inline; size=3')).toBeNull();
  });
});

describe('downloadFile', () => {
  const hooks = {
    getAccessToken: vi.fn(() => 'tok'),
    refresh: vi.fn(() => Promise.resolve()),
    onSessionExpired: vi.fn(),
    onPasswordChangeRequired: vi.fn(),
    notify: vi.fn(),
  } satisfies HttpHooks;
  let client: ReturnType<typeof createHttpClient>;
  let mock: MockAdapter;
  let saved: { href: string; download: string }[];
  let created: Blob[];

  beforeEach(() => {
    vi.useFakeTimers();
    client = createHttpClient(() => hooks);
    mock = new MockAdapter(client);
    saved = [];
    created = [];
    URL.createObjectURL = vi.fn((blob: Blob) => {
      created.push(blob);
      return `blob:test/${created.length}`;
    });
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push({ href: this.href, download: this.download });
    });
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.clearAllMocks();
  });

  it('asks for a blob with the token and params, then saves it under the server name', async () => {
    const body = new Blob(['PK\x03\x04'], { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    mock.onGet('/customers/export').reply((config) => {
      expect(config.responseType).toBe('blob');
      expect(config.params).toEqual({ format: 'xlsx', q: '锦城' });
      expect(config.headers?.Authorization).toBe('Bearer tok');
      return [200, body, { 'content-disposition': `attachment; filename*=UTF-8''%E5%AE%A2%E6%88%B7.xlsx` }];
    });

    const name = await downloadFile('/customers/export', { params: { format: 'xlsx', q: '锦城' }, fallbackName: 'x.xlsx' }, client);

    expect(name).toBe('客户.xlsx');
    expect(created).toEqual([body]);
    expect(saved).toEqual([{ href: 'blob:test/1', download: '客户.xlsx' }]);
    expect(document.querySelector('a[download]')).toBeNull();
    vi.runAllTimers();
    expect(URL.revokeObjectURL).toHaveBeenCalledWith('blob:test/1');
  });

  it('asks by POST with a JSON body when one is given (an unsaved report)', async () => {
    const definition = { dataset: 'bills', columns: ['customer_code', 'total'] };
    mock.onPost('/reports/export').reply((config) => {
      expect(config.responseType).toBe('blob');
      expect(config.params).toEqual({ format: 'csv' });
      expect(JSON.parse(String(config.data))).toEqual({ name: '月度应收', definition });
      return [200, new Blob(['a,b']), { 'content-disposition': `attachment; filename*=UTF-8''%E6%9C%88%E5%BA%A6%E5%BA%94%E6%94%B6.csv` }];
    });

    const options = { params: { format: 'csv' }, body: { name: '月度应收', definition }, fallbackName: 'report.csv' };
    await expect(downloadFile('/reports/export', options, client)).resolves.toBe('月度应收.csv');
    expect(saved[0]?.download).toBe('月度应收.csv');
  });

  it('uses the fallback name when the server names no file', async () => {
    mock.onGet('/customers/import/template').reply(200, new Blob(['x']));
    await expect(downloadFile('/customers/import/template', { fallbackName: 'template.xlsx' }, client)).resolves.toBe('template.xlsx');
    expect(saved[0]?.download).toBe('template.xlsx');
  });

  it('reads the error envelope out of a blob answer and shows its message', async () => {
    const envelope = { error: { code: 'NOT_FOUND', message: '导入记录不存在', details: [] } };
    mock.onGet('/customers/import/9/report.xlsx').reply(404, new Blob([JSON.stringify(envelope)], { type: 'application/json' }));

    const error = await downloadFile('/customers/import/9/report.xlsx', { fallbackName: 'r.xlsx' }, client).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND', message: '导入记录不存在' });
    expect(hooks.notify).toHaveBeenCalledWith('导入记录不存在');
    expect(saved).toEqual([]);
  });

  it('names the status when the blob answer is not an envelope', async () => {
    mock.onGet('/customers/export').reply(502, new Blob(['<html>Bad gateway</html>'], { type: 'text/html' }));
    await expect(downloadFile('/customers/export', { fallbackName: 'c.csv' }, client)).rejects.toMatchObject({
      status: 502,
      code: 'HTTP_ERROR',
    });
  });
});
