/**
 * 自定义报表 against the contract's shapes (the HTTP client answered by a mock): the
 * builder lists the server's columns, 运行 sends the definition and shows the page with
 * its totals, a refusal lands on the parts it names, the name's 409 in the dialog, 导出
 * by id for a saved, unchanged report and by definition otherwise, the URL keeps it all.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { ReportDataset, ReportDefinition, ReportResult, SavedReport } from '@/api/types';
import i18n from '@/locale';
import ReportsPage from '@/views/reports/index.vue';
import { encodeDefinition } from '@/views/reports/builder';
import { flush, mountRoutedPage } from './support/mount';

const datasets: ReportDataset[] = [
  {
    key: 'customers',
    label: '客户',
    columns: [{ key: 'customer_code', label: '客户编号', kind: 'text', groupable: true, summable: false }],
  },
  {
    key: 'bills',
    label: '账单',
    columns: [
      { key: 'customer_code', label: '客户编号', kind: 'text', groupable: true, summable: false },
      { key: 'company_name', label: '客户名称', kind: 'text', groupable: true, summable: false },
      { key: 'period', label: '账期', kind: 'period', groupable: true, summable: false },
      { key: 'total', label: '应收金额', kind: 'money', groupable: false, summable: true },
    ],
  },
];

const grouped: ReportDefinition = {
  dataset: 'bills',
  columns: ['customer_code', 'total'],
  filters: [{ column: 'period', op: 'eq', value: '2026-10' }],
  group_by: ['customer_code'],
  sums: ['total'],
};

const result: ReportResult = {
  columns: [
    { key: 'customer_code', label: '客户编号', kind: 'text' },
    { key: 'total', label: '应收金额', kind: 'money' },
    { key: 'count', label: '行数', kind: 'integer' },
  ],
  rows: [
    ['C000001', '2000.00', '1'],
    ['C000002', '13000.50', '2'],
  ],
  totals: { total: '15000.50' },
  total: 2,
  page: 1,
  page_size: 20,
};

const savedReport: SavedReport = { id: 3, name: '月度应收', definition: grouped, created_at: '2026-12-01T00:00:00Z', updated_at: '2026-12-01T00:00:00Z' };

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  mock.onGet('/reports/datasets').reply(200, datasets);
  mock.onGet('/reports').reply(200, [{ id: 3, name: '月度应收', dataset: 'bills', updated_at: '2026-12-01T00:00:00Z' }]);
  mock.onGet('/reports/3').reply(200, savedReport);
});
afterEach(() => mock.restore());

async function mount(query = '') {
  const mounted = await mountRoutedPage(`/analytics/reports${query}`, ReportsPage, ['analytics.view']);
  // The catalogue and the list, then the saved report, then its run.
  await flush(8);
  return mounted;
}
const click = async (el: Element | null | undefined) => {
  (el as HTMLElement | null)?.click();
  await flush();
};
const byTestId = (root: ParentNode, id: string) => root.querySelector(`[data-testid="${id}"]`);
const posted = (url: string) => mock.history.post?.filter((r) => r.url === url) ?? [];

describe('自定义报表', () => {
  it('lists the server’s datasets and columns, and ticking a column puts it in the URL', async () => {
    const { el, router } = await mount();
    const datasetButtons = el.querySelectorAll('[data-testid="report-dataset"] [data-dataset]');
    expect([...datasetButtons].map((b) => b.textContent?.trim())).toEqual(['客户', '账单']);
    await click(el.querySelector('[data-dataset="bills"] input'));
    const available = el.querySelectorAll('[data-testid="report-columns"] [data-column]');
    expect([...available].map((c) => c.getAttribute('data-column'))).toEqual(['customer_code', 'company_name', 'period', 'total']);
    await click(el.querySelector('[data-column="total"] input'));
    await click(el.querySelector('[data-column="customer_code"] input'));
    expect([...el.querySelectorAll('[data-selected-column]')].map((c) => c.getAttribute('data-selected-column'))).toEqual(['total', 'customer_code']);
    const def = JSON.parse(String(router.currentRoute.value.query.def)) as ReportDefinition;
    expect(def).toMatchObject({ dataset: 'bills', columns: ['total', 'customer_code'] });
  });

  it('runs the URL’s definition at the URL’s page and shows the rows, money right-aligned, and the totals', async () => {
    mock.onPost('/reports/run').reply(200, result);
    const { el } = await mount(`?def=${encodeURIComponent(encodeDefinition(grouped))}&page=1`);
    const [run] = posted('/reports/run');
    expect(run?.params).toEqual({ page: 1, page_size: 20 });
    expect(JSON.parse(String(run?.data))).toEqual(grouped);
    const table = byTestId(el, 'report-result-table');
    expect([...(table?.querySelectorAll('th') ?? [])].map((th) => th.textContent?.trim())).toEqual(['客户编号', '应收金额', '行数']);
    expect(table?.querySelector('tbody [data-amount="total"]')?.textContent).toBe('2,000.00');
    expect(table?.querySelector('tbody [data-amount="total"]')?.closest('.arco-table-cell')?.className).toContain('align-right');
    expect(table?.querySelector('[data-total="total"] [data-amount="total"]')?.getAttribute('data-value')).toBe('15000.50');
    expect(byTestId(el, 'report-totals')?.textContent).toBe('合计');
    expect(byTestId(el, 'report-count')?.textContent).toContain('共 2 行');
  });

  it('explains the grouping rule on the column that breaks it, and does not send it', async () => {
    const def = { ...grouped, columns: ['customer_code', 'company_name', 'total'] };
    const { el } = await mount(`?def=${encodeURIComponent(encodeDefinition(def))}`);
    expect(byTestId(el, 'group-rule')).not.toBeNull();
    expect(el.querySelector('[data-hint-for="columns.company_name"]')?.textContent).toContain('分组时须为分组列或求和列');
    await click(byTestId(el, 'report-run'));
    expect(posted('/reports/run')).toHaveLength(0);
    expect(el.querySelector('[data-error-for="columns.company_name"]')?.textContent).toBe('分组报表的列须为分组列或求和列：客户名称');
  });

  it('shows the server’s 400 on the parts it names', async () => {
    mock.onPost('/reports/run').reply(400, {
      error: {
        code: 'VALIDATION_FAILED',
        message: '请求参数有误',
        details: [
          { field: 'filters[0].value', code: 'INVALID_VALUE', message: '账期 的筛选值须为月份 YYYY-MM' },
          { field: 'columns[0]', code: 'UNKNOWN_COLUMN', message: '数据集「账单」没有列 customer_code' },
          { field: 'group_by[0]', code: 'NOT_GROUPABLE', message: '不能按金额或数量列分组：客户编号' },
        ],
      },
    });
    const { el } = await mount(`?def=${encodeURIComponent(encodeDefinition(grouped))}`);
    await click(byTestId(el, 'report-run'));
    expect(el.querySelector('[data-error-for="filters[0]"]')?.textContent).toBe('账期 的筛选值须为月份 YYYY-MM');
    expect(el.querySelector('[data-error-for="columns.customer_code"]')?.textContent).toBe('数据集「账单」没有列 customer_code');
    expect(el.querySelector('[data-error-for="group_by"]')?.textContent).toContain('不能按金额或数量列分组：客户编号');
    expect(byTestId(el, 'report-error')).toBeNull();
  });

  it('saves a new report under a name, the server’s 409 under the name field', async () => {
    mock.onPost('/reports').replyOnce(409, { error: { code: 'REPORT_NAME_TAKEN', message: '已有同名报表', details: [] } });
    mock.onPost('/reports').replyOnce(201, { ...savedReport, id: 4, name: '十月应收' });
    const { el, router } = await mount(`?def=${encodeURIComponent(encodeDefinition(grouped))}`);
    await click(byTestId(el, 'report-save'));
    const dialog = byTestId(document, 'report-name-dialog');
    const input = dialog?.querySelector<HTMLInputElement>('[data-testid="report-name"] input, input[data-testid="report-name"]');
    expect(input).not.toBeNull();
    input!.value = '月度应收';
    input!.dispatchEvent(new Event('input'));
    await flush();
    await click(dialog?.querySelector('.arco-modal-footer .arco-btn-primary'));
    expect(dialog?.querySelector('[data-error-for="name"]')?.textContent).toContain('已有同名报表');
    expect(byTestId(el, 'report-error')).toBeNull();
    input!.value = '十月应收';
    input!.dispatchEvent(new Event('input'));
    await flush();
    await click(dialog?.querySelector('.arco-modal-footer .arco-btn-primary'));
    expect(JSON.parse(String(posted('/reports').at(-1)?.data))).toEqual({ name: '十月应收', definition: grouped });
    expect(byTestId(el, 'report-title')?.textContent).toContain('十月应收');
    expect(router.currentRoute.value.query).toEqual({ report: '4' });
  });

  it('exports a saved, unchanged report by id, and by its definition once changed', async () => {
    const saved: string[] = [];
    URL.createObjectURL = vi.fn(() => 'blob:x');
    URL.revokeObjectURL = vi.fn();
    const follow = HTMLAnchorElement.prototype.click;
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      if (this.download) saved.push(this.download);
      else follow.call(this);
    });
    mock.onPost('/reports/run').reply(200, result);
    mock.onGet('/reports/3/export').reply(200, new Blob(['a']), { 'content-disposition': 'attachment; filename="saved.csv"' });
    mock.onPost('/reports/export').reply(200, new Blob(['b']), { 'content-disposition': 'attachment; filename="draft.csv"' });
    const { el, router } = await mount('?report=3');
    expect(byTestId(el, 'report-title')?.textContent).toContain('月度应收');

    await click(byTestId(el, 'report-export'));
    await click(byTestId(document, 'export-csv')?.closest('.arco-dropdown-option'));
    expect(mock.history.get?.find((r) => r.url === '/reports/3/export')?.params).toEqual({ format: 'csv' });

    await click(el.querySelector('[data-column="company_name"] input'));
    expect(byTestId(el, 'report-modified')).not.toBeNull();
    expect(router.currentRoute.value.query.report).toBe('3');
    expect(JSON.parse(String(router.currentRoute.value.query.def)).columns).toEqual(['customer_code', 'total', 'company_name']);
    await click(el.querySelector('[data-hint-for="columns.company_name"] .arco-link'));
    await click(byTestId(el, 'report-export'));
    await click(byTestId(document, 'export-pdf')?.closest('.arco-dropdown-option'));
    const exported = posted('/reports/export').at(-1);
    expect(exported?.params).toEqual({ format: 'pdf' });
    expect(JSON.parse(String(exported?.data))).toMatchObject({ name: '月度应收', definition: { group_by: ['customer_code', 'company_name'] } });
    expect(saved).toEqual(['saved.csv', 'draft.csv']);
  });

  it('starts a new report when a link opens the bare page (the menu), and opens a saved one from 我的报表', async () => {
    mock.onPost('/reports/run').reply(200, result);
    const { el, router } = await mount('?report=3');
    await router.push('/analytics/reports');
    await flush(8);
    expect(byTestId(el, 'report-title')?.textContent).toContain('未保存的报表');
    expect(el.querySelectorAll('[data-selected-column]')).toHaveLength(0);
    await click(el.querySelector('[data-report="月度应收"] [data-testid="saved-report-open"]'));
    await flush(4);
    expect(byTestId(el, 'report-title')?.textContent).toContain('月度应收');
    expect(JSON.parse(String(posted('/reports/run').at(-1)?.data))).toEqual(grouped);
    expect(router.currentRoute.value.query).toEqual({ report: '3', page: '1' });
  });
});
