import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import { IconPlus, IconThunderbolt } from '@arco-design/web-vue/es/icon';
import type { ListAction } from '@/components/list/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { formatDate } from '@/utils/format';
import { BILL_KINDS, BILL_STATUSES } from '@/utils/bill-rules';
import { moneyColumns, useColumnFactory } from '@/utils/columns';
import { currentPeriod } from '@/utils/pricing-rules';

/** 账单列表 keeps its filters (docs/api/bills.md's list filters) and its sort order in the URL. */
export const FILTER_KEYS = ['q', 'status', 'period', 'customer_id', 'kind', 'overdue', 'has_warnings', 'sort'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** A month picker's cells after this month (China time) cannot be picked. */
export const futureMonth = (d?: Date) => !!d && formatDate(d).slice(0, 7) > currentPeriod();

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('bills.filters.q'), component: 'input', placeholder: t('bills.filters.qPlaceholder') },
    {
      field: 'status',
      label: t('bills.filters.status'),
      component: 'multiSelect',
      options: BILL_STATUSES.map((s) => ({ value: s, label: t(`bills.status.${s}`) })),
      placeholder: t('common.all'),
    },
    { field: 'period', label: t('bills.filters.period'), component: 'month', props: { disabledDate: futureMonth } },
    { field: 'customer_id', label: t('bills.filters.customer'), component: 'customer' },
    {
      field: 'kind',
      label: t('bills.filters.kind'),
      component: 'select',
      options: BILL_KINDS.map((k) => ({ value: k, label: t(`bills.kind.${k}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'overdue',
      label: t('bills.filters.overdue'),
      component: 'select',
      options: [{ value: 'true', label: t('bills.filters.overdueOnly') }],
      placeholder: t('common.all'),
    },
    {
      field: 'has_warnings',
      label: t('bills.filters.hasWarnings'),
      component: 'select',
      options: [{ value: 'true', label: t('bills.filters.withWarnings') }],
      placeholder: t('common.all'),
    },
  ]);
}

/** 账单列表's buttons, after 导出. */
export const LIST_ACTIONS: ListAction[] = [
  { label: 'bills.list.createManual', icon: IconPlus, to: '/bills/new', testId: 'create-manual-bill', permission: 'billing.manage' },
  { label: 'bills.list.generate', icon: IconThunderbolt, to: '/bills/generate', testId: 'go-generate', permission: 'billing.manage', primary: true },
];

/** Columns the server sorts by (`sort=total` / `sort=-total`; default `-period`). */
export const SORTABLE = ['bill_no', 'period', 'total', 'due_date'];

export interface ColumnOptions {
  /** The customer column (not on a customer's own tab). */
  customer?: boolean;
  /** Warnings read in full (the review of drafts). */
  detailedWarnings?: boolean;
}

/** A bill's amounts, in the order they read: subtotal − credited = total; total − allocated = outstanding. */
export const BILL_AMOUNTS = ['subtotal', 'credited', 'total', 'allocated', 'outstanding'] as const;
export type AmountKey = (typeof BILL_AMOUNTS)[number];

/** The bill table's columns; some sort on the server when the table is given the list's order. */
export function useBillColumns(options: ColumnOptions = {}) {
  const column = useColumnFactory('bills.columns', { sortable: SORTABLE });
  return computed<TableColumnData[]>(() => {
    // The key columns (status with 逾期, 未结金额, 到期日) are fixed on the right so a
    // 1440 px screen shows them without scrolling sideways; the rest scroll between.
    return [
      column('bill_no', { width: 170, fixed: 'left' }),
      ...(options.customer === false ? [] : [column('customer', { minWidth: 220, ellipsis: true, tooltip: true })]),
      column('period', { width: 90 }),
      column('kind', { width: 80 }),
      ...moneyColumns(column, ['subtotal', 'credited', 'total', 'allocated'], 130),
      column('warnings', { minWidth: options.detailedWarnings ? 320 : 200 }),
      column('status', { width: 150, fixed: 'right' }),
      column('outstanding', { width: 130, align: 'right', fixed: 'right' }),
      column('due_date', { width: 110, fixed: 'right' }),
      column('actions', { width: 64, fixed: 'right', align: 'center' }),
    ];
  });
}
