import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { AxiosProgressEvent } from 'axios';
import { ApiError } from '@/api/http';
import type { ImportIssue, ImportResult } from '@/api/types';
import * as api from '@/api/customer-import';
import { rowsOfStatus } from '@/hooks/useFileImport';
import { checkFile, importableRows, useImportWizard } from '@/views/customers/import/useImportWizard';

vi.mock(import('@/api/customer-import'), async (original) => ({
  ...(await original()),
  importCustomers: vi.fn(),
  downloadImportTemplate: vi.fn(),
  downloadImportReport: vi.fn(),
  downloadImportOriginal: vi.fn(),
}));

const importCustomers = vi.mocked(api.importCustomers);
const MIB = 1024 * 1024;

const issues: ImportIssue[] = [
  { row: 11, status: 'rejected', column: '签约日期', value: '2023-13-01', message: '签约日期不是有效日期' },
  { row: 57, status: 'warning', column: '销售负责人', value: '离职员工1', message: '未找到用户，已导入但未设置销售负责人' },
  { row: 90, status: 'rejected', column: '联系电话', value: '12345', message: '联系电话格式不正确' },
];

const answer = (over: Partial<ImportResult> = {}): ImportResult => ({
  import_id: 7,
  dry_run: true,
  file_name: '客户.csv',
  counts: { total: 4, imported: 2, imported_with_warnings: 1, rejected: 1 },
  created: 3,
  updated: 0,
  unchanged: 0,
  issues,
  file_warnings: ['未识别的列「微信号」已忽略'],
  report_url: '/api/v1/customers/import/7/report.xlsx',
  original_kept: true,
  ...over,
});

/** A promise the test settles by hand, with the options the wizard passed. */
function pending() {
  let resolve!: (value: ImportResult) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<ImportResult>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  importCustomers.mockImplementationOnce(() => promise);
  return {
    resolve,
    reject,
    options: () => importCustomers.mock.calls.at(-1)?.[2] ?? {},
  };
}

const csv = (name = '客户.csv', content = '客户编号,公司名称\nC1,甲\n') => new File([content], name, { type: 'text/csv' });
const flush = () => new Promise((r) => setTimeout(r, 0));
const progress = (loaded: number, total: number) => ({ loaded, total, progress: loaded / total, bytes: loaded, lengthComputable: true }) as AxiosProgressEvent;

describe('file check before upload', () => {
  it('takes .xlsx and .csv in any case, within 20 MiB', () => {
    expect(checkFile({ name: '客户.xlsx', size: 10 })).toBeNull();
    expect(checkFile({ name: 'A.CSV', size: 20 * MIB })).toBeNull();
  });

  it('names the file and the problem, in Chinese', () => {
    expect(checkFile({ name: '客户.xls', size: 10 })).toBe('仅支持 .xlsx 或 .csv 文件，「客户.xls」无法导入');
    expect(checkFile({ name: 'big.xlsx', size: 20 * MIB + 1 })).toBe('文件「big.xlsx」大小为 20.0 MiB，超过 20 MiB 的上限，请拆分后分批导入');
    expect(checkFile({ name: 'empty.csv', size: 0 })).toBe('文件「empty.csv」是空的');
  });
});

describe('issue helpers', () => {
  it('filters by outcome and counts importable rows', () => {
    expect(rowsOfStatus(issues, 'all')).toHaveLength(3);
    expect(rowsOfStatus(issues, 'rejected').map((i) => i.row)).toEqual([11, 90]);
    expect(rowsOfStatus(issues, 'warning').map((i) => i.row)).toEqual([57]);
    expect(importableRows(answer())).toBe(3);
    expect(importableRows(null)).toBe(0);
  });
});

describe('import wizard', () => {
  beforeEach(() => {
    importCustomers.mockReset();
  });

  it('refuses a wrong file without sending it', async () => {
    const wizard = useImportWizard();
    await wizard.pick(csv('客户.txt'));
    expect(importCustomers).not.toHaveBeenCalled();
    expect(wizard.error.value).toContain('「客户.txt」');
    expect(wizard.step.value).toBe('upload');

    const big = csv('big.xlsx');
    Object.defineProperty(big, 'size', { value: 25 * MIB });
    await wizard.pick(big);
    expect(importCustomers).not.toHaveBeenCalled();
    expect(wizard.error.value).toContain('超过 20 MiB');
  });

  it('dry-runs a picked file: upload progress, then checking, then the review', async () => {
    const wizard = useImportWizard();
    const file = csv();
    const call = pending();
    const picking = wizard.pick(file);

    expect(importCustomers).toHaveBeenCalledWith(file, true, expect.anything());
    expect(wizard.phase.value).toBe('uploading');
    expect(wizard.stepIndex.value).toBe(1);
    call.options().onUploadProgress?.(progress(50, 200));
    expect(wizard.progress.value).toBe(0.25);
    expect(wizard.phase.value).toBe('uploading');
    call.options().onUploadProgress?.(progress(200, 200));
    expect(wizard.phase.value).toBe('processing');

    call.resolve(answer());
    await picking;
    expect(wizard.step.value).toBe('review');
    expect(wizard.stepIndex.value).toBe(2);
    expect(wizard.phase.value).toBe('idle');
    expect(wizard.preview.value?.counts.rejected).toBe(1);
    expect(wizard.importable.value).toBe(3);
    expect(wizard.canConfirm.value).toBe(true);
    expect(wizard.historyKey.value).toBe(1);
  });

  it('confirms by sending the same File object for real, then shows the result', async () => {
    const wizard = useImportWizard();
    const file = csv();
    importCustomers.mockResolvedValueOnce(answer());
    await wizard.pick(file);

    importCustomers.mockResolvedValueOnce(answer({ dry_run: false, import_id: 8 }));
    await wizard.confirm();
    expect(importCustomers).toHaveBeenLastCalledWith(file, false, expect.anything());
    expect(importCustomers.mock.calls[1]?.[0]).toBe(importCustomers.mock.calls[0]?.[0]);
    expect(wizard.step.value).toBe('done');
    expect(wizard.stepIndex.value).toBe(3);
    expect(wizard.result.value?.import_id).toBe(8);
    expect(wizard.historyKey.value).toBe(2);
  });

  it('cannot confirm when no row is importable', async () => {
    const wizard = useImportWizard();
    importCustomers.mockResolvedValueOnce(answer({ counts: { total: 2, imported: 0, imported_with_warnings: 0, rejected: 2 } }));
    await wizard.pick(csv());
    expect(wizard.step.value).toBe('review');
    expect(wizard.canConfirm.value).toBe(false);
    await wizard.confirm();
    expect(importCustomers).toHaveBeenCalledTimes(1);
  });

  it("shows the server's message as it is and stays on the first step", async () => {
    const wizard = useImportWizard();
    importCustomers.mockRejectedValueOnce(new ApiError(422, 'NO_HEADER_ROW', '未找到表头行：请确认文件包含「公司名称」等列名'));
    await wizard.pick(csv());
    expect(wizard.error.value).toBe('未找到表头行：请确认文件包含「公司名称」等列名');
    expect(wizard.step.value).toBe('upload');
    expect(wizard.phase.value).toBe('idle');
    expect(wizard.preview.value).toBeNull();

    // A 413 from something in front of the server (no envelope) still says why.
    importCustomers.mockRejectedValueOnce(new ApiError(413, 'HTTP_ERROR', '服务器错误（HTTP 413），请稍后重试'));
    await wizard.pick(csv());
    expect(wizard.error.value).toBe('文件超过服务器允许的大小（20 MiB），请拆分后分批导入');

    // The next attempt clears the old message.
    importCustomers.mockResolvedValueOnce(answer());
    await wizard.pick(csv());
    expect(wizard.error.value).toBeNull();
    expect(wizard.step.value).toBe('review');
  });

  it('keeps the review when the real run fails, with the message', async () => {
    const wizard = useImportWizard();
    importCustomers.mockResolvedValueOnce(answer());
    await wizard.pick(csv());
    importCustomers.mockRejectedValueOnce(new ApiError(422, 'TOO_MANY_ROWS', '文件行数超过 200000 行的上限'));
    await wizard.confirm();
    expect(wizard.step.value).toBe('review');
    expect(wizard.error.value).toBe('文件行数超过 200000 行的上限');
    expect(wizard.canConfirm.value).toBe(true);
  });

  it('drops a dry run that a reset or a newer file overtook', async () => {
    const wizard = useImportWizard();
    const first = pending();
    const picking = wizard.pick(csv('first.csv'));
    const signal = first.options().signal;

    wizard.reset();
    expect(signal?.aborted).toBe(true);
    first.resolve(answer({ file_name: 'first.csv' }));
    await picking;
    expect(wizard.step.value).toBe('upload');
    expect(wizard.preview.value).toBeNull();
    expect(wizard.file.value).toBeNull();

    const second = pending();
    const old = wizard.pick(csv('second.csv'));
    const third = pending();
    const latest = wizard.pick(csv('third.csv'));
    second.reject(new ApiError(422, 'NO_DATA_ROWS', '没有数据行'));
    third.resolve(answer({ file_name: 'third.csv' }));
    await Promise.all([old, latest]);
    await flush();
    expect(wizard.error.value).toBeNull();
    expect(wizard.preview.value?.file_name).toBe('third.csv');
  });

  it('starts over after the import', async () => {
    const wizard = useImportWizard();
    importCustomers.mockResolvedValueOnce(answer()).mockResolvedValueOnce(answer({ dry_run: false }));
    await wizard.pick(csv());
    await wizard.confirm();
    wizard.reset();
    expect(wizard.step.value).toBe('upload');
    expect(wizard.result.value).toBeNull();
    expect(wizard.preview.value).toBeNull();
    expect(wizard.file.value).toBeNull();
  });

  it('downloads the report of this run by its link, and of an older one by id', async () => {
    const wizard = useImportWizard();
    await wizard.downloadReport(answer());
    expect(api.downloadImportReport).toHaveBeenCalledWith(7, '/api/v1/customers/import/7/report.xlsx');
    await wizard.downloadReport(3);
    expect(api.downloadImportReport).toHaveBeenLastCalledWith(3);
    await wizard.downloadOriginal(3, '客户.csv');
    expect(api.downloadImportOriginal).toHaveBeenCalledWith(3, '客户.csv');

    vi.mocked(api.downloadImportTemplate).mockRejectedValueOnce(new ApiError(500, 'INTERNAL', '服务器内部错误'));
    const downloading = wizard.downloadTemplate();
    expect(wizard.templateLoading.value).toBe(true);
    await downloading;
    expect(wizard.templateLoading.value).toBe(false);
  });
});
