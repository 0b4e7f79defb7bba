/**
 * The shared building blocks of the pages, rendered with the real Arco components: the
 * list page (its toolbar by permission, table or cards), the record table (sort arrows,
 * the totals row), the detail and task pages (404, header), the amounts, the rows of an import,
 * and the composables behind lists paged in a component, records on a detail page and
 * their deletion.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { h, reactive, ref, type Component } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import { IconPlus } from '@arco-design/web-vue/es/icon';
import { ApiError } from '@/api/http';
import AmountCardsView from '@/components/detail/AmountCards.vue';
import DetailPageView from '@/components/detail/DetailPage.vue';
import TaskPageView from '@/components/detail/TaskPage.vue';
import StatusRowsTableView from '@/components/import/StatusRowsTable.vue';
import DataTableView from '@/components/list/DataTable.vue';
import ListPageView from '@/components/list/ListPage.vue';
import { useDeleteRecord } from '@/hooks/useDeleteRecord';
import { useListQuery } from '@/hooks/useListQuery';
import { usePagedFetch } from '@/hooks/usePagedFetch';
import { useRecord } from '@/hooks/useRecord';
import i18n from '@/locale';
import { useAuthStore } from '@/store';
import { columnFactory } from '@/utils/columns';
import { flush, mountApp } from './support/mount';

// Generic components, rendered with `h` and plain props.
const AmountCards = AmountCardsView as unknown as Component;
const DetailPage = DetailPageView as unknown as Component;
const TaskPage = TaskPageView as unknown as Component;
const StatusRowsTable = StatusRowsTableView as unknown as Component;
const DataTable = DataTableView as unknown as Component;
const ListPage = ListPageView as unknown as Component;

/** Renders `component` at `/list` inside the app's plugins, as `permissions`. */
async function render(component: Component, permissions: string[] = [], path = '/list') {
  setActivePinia(createPinia());
  useAuthStore().permissions = permissions;
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/list', name: 'List', component },
      { path: '/:rest(.*)*', component: { render: () => null } },
    ],
  });
  await router.push(path);
  const el = await mountApp({ render: () => h(RouterView) }, router);
  return { el, router };
}

const phone = (on: boolean) =>
  vi.spyOn(window, 'matchMedia').mockImplementation(
    (query: string) => ({ matches: on, media: query, addEventListener: () => undefined, removeEventListener: () => undefined }) as unknown as MediaQueryList,
  );

describe('ListPage', () => {
  const rows = [
    { id: 1, name: '甲', total: '10.00' },
    { id: 2, name: '乙', total: '20.00' },
  ];
  const fetch = vi.fn(async () => ({ items: rows, total: 2, totals: { total: '30.00' } }));
  const Page = ({
    setup() {
      const list = useListQuery({ filterKeys: ['q', 'sort'] as const, fetch });
      const column = columnFactory((key) => key, 'x', { sortable: ['total'] });
      return () =>
        h(
          ListPage,
          {
            labels: 'bills.list',
            list,
            schema: [{ field: 'q', label: 'q', component: 'input' }],
            actions: [
              { label: 'bills.list.generate', icon: IconPlus, to: '/elsewhere', testId: 'go', permission: 'billing.manage', primary: true },
              { label: 'bills.list.createManual', testId: 'anyone' },
            ],
          },
          {
            table: (table: Record<string, unknown>) =>
              h(DataTable, { ...table, columns: [column('name'), column('total')], totalsRow: () => ({ name: '合计' }), 'data-testid': 'table' }),
            cards: ({ items }: { items: typeof rows }) => h('div', { 'data-testid': 'cards' }, items.map((r) => r.name).join(',')),
          },
        );
    },
  });

  it('shows the title, the buttons the user may use, and the table with the totals last', async () => {
    phone(false);
    const { el, router } = await render(Page, [], '/list?sort=-total');
    expect(el.querySelector('.arco-card-header')?.textContent).toContain(i18n.global.t('bills.list.title'));
    expect(el.querySelector('[data-testid="go"]')).toBeNull();
    expect(el.querySelector('[data-testid="anyone"]')?.textContent).toContain(i18n.global.t('bills.list.createManual'));
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 20, sort: '-total' });
    expect(el.querySelectorAll('[data-testid="table"] .arco-table-tr').length).toBeGreaterThanOrEqual(3);
    expect(el.querySelector('.arco-table-tr-summary')?.textContent).toContain('合计');
    const arrows = [...el.querySelectorAll('.arco-table-sorter .arco-table-sorter-icon')];
    expect(arrows.map((a) => a.classList.contains('arco-table-sorter-icon-active'))).toEqual([false, true]);
    await router.push('/list?q=甲');
    await flush();
    expect(fetch).toHaveBeenLastCalledWith({ page: 1, page_size: 20, q: '甲' });
  });

  it('offers the buttons to those with the permission, and opens their page', async () => {
    phone(false);
    const { el, router } = await render(Page, ['billing.manage']);
    const button = el.querySelector<HTMLButtonElement>('[data-testid="go"]');
    expect(button?.classList.contains('arco-btn-primary')).toBe(true);
    button?.click();
    await flush();
    expect(router.currentRoute.value.path).toBe('/elsewhere');
  });

  it('shows the cards and simple paging on a phone', async () => {
    phone(true);
    const { el } = await render(Page);
    expect(el.querySelector('[data-testid="cards"]')?.textContent).toBe('甲,乙');
    expect(el.querySelector('[data-testid="table"]')).toBeNull();
    expect(el.querySelector('.mobile-pagination')).not.toBeNull();
  });
});

describe('DataTable', () => {
  it('draws no sort arrows without the list’s order, and no totals row without totals', async () => {
    const column = columnFactory((key) => key, 'x', { sortable: ['total'] });
    const Table = ({
      setup: () => () => h(DataTable, { items: [{ id: 1, total: '1' }], columns: [column('total')], totalsRow: () => ({}), empty: '没有' }),
    });
    const { el } = await render(Table);
    expect(el.querySelector('.arco-table-sorter')).toBeNull();
    expect(el.querySelector('.arco-table-tr-summary')).toBeNull();
  });
});

describe('DetailPage', () => {
  const Detail = (state: Record<string, unknown>) =>
    ({
      setup: () => () =>
        h(DetailPage, { state, back: '/bills', backLabel: '返回', title: 'B1', titleTestId: 'no', testId: 'detail' }, {
          tags: () => h('span', { 'data-testid': 'tag' }, 'tag'),
          default: ({ record }: { record: { id: number } }) => h('p', { 'data-testid': 'body' }, String(record.id)),
          after: () => h('div', { 'data-testid': 'after' }),
        }),
    });

  it('shows the 404 page for a record that is gone or out of scope', async () => {
    const { el } = await render(Detail({ record: null, loading: false, missing: true, error: null }));
    expect(el.querySelector('[data-testid="page-404"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="detail"]')).toBeNull();
  });

  it('shows the header and the record once it is there, and what went wrong otherwise', async () => {
    const { el } = await render(Detail({ record: { id: 7 }, loading: false, missing: false, error: '服务器忙' }));
    expect(el.querySelector('[data-testid="no"]')?.textContent).toBe('B1');
    expect(el.querySelector('[data-testid="tag"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="body"]')?.textContent).toBe('7');
    expect(el.querySelector('[data-testid="after"]')).not.toBeNull();
    expect(el.querySelector('.arco-alert-error')?.textContent).toContain('服务器忙');
  });
});

describe('TaskPage', () => {
  const Task = (props: Record<string, unknown>) => ({
    setup: () => () =>
      h(TaskPage, { back: '/payments', backLabel: '返回收款列表', title: '登记收款', description: '填写到账信息', 'data-testid': 'task', ...props }, {
        default: () => h('form', { 'data-testid': 'body' }),
        after: () => h('div', { 'data-testid': 'after' }),
      }),
  });

  it('shows the header, the task and what comes after, the page’s test id on the page', async () => {
    const { el } = await render(Task({}));
    const page = el.querySelector('[data-testid="task"]');
    expect(page?.classList.contains('page')).toBe(true);
    expect(page?.querySelector('.page-header h2')?.textContent).toBe('登记收款');
    expect(page?.querySelector('.page-header .description')?.textContent).toBe('填写到账信息');
    expect(page?.querySelector('.page-card [data-testid="body"]')).not.toBeNull();
    expect(page?.querySelector(':scope > [data-testid="after"]')).not.toBeNull();
  });

  it('shows the 404 page, without the page’s test id, when what it works on is gone', async () => {
    const { el } = await render(Task({ missing: true }));
    expect(el.querySelector('[data-testid="page-404"]')).not.toBeNull();
    expect(el.querySelector('[data-testid="task"]')).toBeNull();
  });
});

describe('AmountCards', () => {
  it('labels each amount, and turns overdue money red once there is some', async () => {
    const Cards = ({
      setup: () => () =>
        h(AmountCards, {
          keys: ['outstanding', 'overdue', 'd90_plus'] as const,
          values: { outstanding: '100.00', overdue: '5.00', d90_plus: '0.00' },
          labels: 'payments.aging.columns',
          primary: ['outstanding'],
          alarming: ['overdue', 'd90_plus'],
        }),
    });
    const { el } = await render(Cards);
    expect(el.querySelector('.outstanding')?.classList.contains('primary')).toBe(true);
    expect(el.querySelector('.overdue')?.classList.contains('alarm')).toBe(true);
    expect(el.querySelector('.d90_plus')?.classList.contains('alarm')).toBe(false);
    expect(el.querySelector('[data-amount="outstanding"]')?.textContent).toBe('100.00');
    expect(el.querySelector('.overdue .label')?.textContent).toBe(i18n.global.t('payments.aging.columns.overdue'));
  });
});

describe('StatusRowsTable', () => {
  it('counts the rows of each status and narrows the table to one, back to all for new rows', async () => {
    const rows = ref([
      { row: 2, status: 'created' },
      { row: 3, status: 'rejected' },
      { row: 9, status: 'rejected' },
    ]);
    const Table = ({
      setup: () => () =>
        h(StatusRowsTable, {
          rows: rows.value,
          columns: [{ title: 'row', slotName: 'row' }, { title: 'status', slotName: 'status' }],
          labels: 'payments.import.rows',
          colors: { rejected: 'red' },
          filters: ['all', 'rejected'],
          scrollX: 300,
        }),
    });
    const { el } = await render(Table);
    const dataRows = () => [...el.querySelectorAll('[data-row]')].map((r) => r.getAttribute('data-row'));
    expect(dataRows()).toEqual(['2', '3', '9']);
    expect(el.querySelector('[data-filter="rejected"]')?.textContent).toContain('2');
    el.querySelector<HTMLElement>('[data-filter="rejected"]')?.click();
    await flush();
    expect(dataRows()).toEqual(['3', '9']);
    expect(el.querySelector('[data-status="rejected"]')?.textContent).toBe(i18n.global.t('payments.import.rows.rejected'));
    rows.value = [{ row: 4, status: 'created' }];
    await flush();
    expect(dataRows()).toEqual(['4']);
  });
});

describe('usePagedFetch', () => {
  it('starts again at page 1 when what it depends on changes, and keeps only the latest answer', async () => {
    const customer = ref(1);
    const answers: Record<string, (value: { items: string[]; total: number }) => void> = {};
    const fetch = vi.fn(
      ({ page }: { page: number }) => new Promise<{ items: string[]; total: number }>((resolve) => (answers[`${customer.value}:${page}`] = resolve)),
    );
    let state: ReturnType<typeof usePagedFetch<{ items: string[]; total: number }>> | undefined;
    const Host = ({
      setup() {
        state = usePagedFetch({ fetch, source: () => customer.value, pageSize: 10 });
        return () => null;
      },
    });
    await render(Host);
    const paged = state!;
    answers['1:1']?.({ items: ['a'], total: 30 });
    await flush();
    expect(paged.items.value).toEqual(['a']);
    expect(paged.table.value.pagination).toMatchObject({ current: 1, pageSize: 10, total: 30 });
    void paged.changePage(2);
    customer.value = 2;
    await flush();
    expect(paged.page.value).toBe(1);
    answers['2:1']?.({ items: ['c'], total: 1 });
    answers['1:2']?.({ items: ['stale'], total: 30 });
    await flush();
    expect(paged.items.value).toEqual(['c']);
    expect(paged.loading.value).toBe(false);
  });
});

describe('useRecord', () => {
  it('loads a record, tells a 404 from a failure, and reloads after a change', async () => {
    const fetch = vi.fn<() => Promise<{ id: number }>>();
    const record = reactive(useRecord(fetch));
    fetch.mockResolvedValueOnce({ id: 1 });
    await record.load();
    expect(record.record).toEqual({ id: 1 });
    fetch.mockRejectedValueOnce(new ApiError(500, 'INTERNAL', '服务器错误'));
    await record.load();
    expect(record.error).toBe('服务器错误');
    expect(record.missing).toBe(false);
    fetch.mockRejectedValueOnce(new ApiError(404, 'NOT_FOUND', '不存在'));
    await record.changed();
    expect(record.missing).toBe(true);
    expect(record.refreshKey).toBe(1);
  });
});

describe('useDeleteRecord', () => {
  async function page() {
    let confirmDelete!: ReturnType<typeof useDeleteRecord>;
    const { router } = await render({
      setup: () => {
        confirmDelete = useDeleteRecord('customers', '/customers');
        return () => null;
      },
    });
    return { router, confirmDelete };
  }
  const question = (name: string) => i18n.global.t('customers.deleteConfirm', { name });
  const okButton = () => [...document.querySelectorAll<HTMLElement>('.arco-modal-footer button')].at(-1);
  // The question is mounted on the body, outside the page.
  afterEach(() => document.querySelectorAll('.arco-modal-container').forEach((node) => node.remove()));

  it('asks naming the record, deletes, and goes to the list', async () => {
    const { router, confirmDelete } = await page();
    const remove = vi.fn(async () => undefined);
    confirmDelete('甲物业', remove);
    await flush();
    expect(document.body.textContent).toContain(question('甲物业'));
    expect(remove).not.toHaveBeenCalled();
    okButton()?.click();
    await flush(8);
    expect(remove).toHaveBeenCalledTimes(1);
    expect(document.body.textContent).toContain(i18n.global.t('customers.deleted', { name: '甲物业' }));
    expect(router.currentRoute.value.path).toBe('/customers');
  });

  it('stays on the page, the question open, when the server refuses', async () => {
    const { router, confirmDelete } = await page();
    confirmDelete('标准方案', () => Promise.reject(new ApiError(409, 'PLAN_IN_USE', '方案仍有客户在用')));
    await flush();
    okButton()?.click();
    await flush(8);
    expect(router.currentRoute.value.path).toBe('/list');
    expect(document.body.textContent).toContain(question('标准方案'));
  });
});
