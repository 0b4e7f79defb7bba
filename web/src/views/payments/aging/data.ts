import { computed, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { OwnerOption } from '@/api/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { moneyColumns, useColumnFactory } from '@/utils/columns';
import { futureDay } from '../data';

/** 账龄分析 keeps its filters in the URL (docs/api/payments.md's aging filters). */
export const FILTER_KEYS = ['as_of', 'q', 'owner_id', 'overdue_only'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** The buckets, by days past the due date on `as_of`: 未到期, 1–30, 31–60, 61–90, 90+. */
export const BUCKETS = ['not_due', 'd1_30', 'd31_60', 'd61_90', 'd90_plus'] as const;
/** Every money column of a row, in the table's order. */
export const AGING_AMOUNTS = ['outstanding', ...BUCKETS, 'overdue', 'unapplied', 'net'] as const;
export type AgingAmountKey = (typeof AGING_AMOUNTS)[number];

export function useSearchSchema(owners: Ref<OwnerOption[]>) {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'as_of', label: t('payments.aging.filters.as_of'), component: 'date', placeholder: t('payments.aging.filters.today'), props: { disabledDate: futureDay } },
    { field: 'q', label: t('payments.aging.filters.q'), component: 'input', placeholder: t('payments.aging.filters.qPlaceholder') },
    {
      field: 'owner_id',
      label: t('payments.aging.filters.owner'),
      component: 'select',
      placeholder: t('common.all'),
      options: owners.value.map((o) => ({ value: String(o.id), label: o.display_name })),
      props: { allowSearch: true },
    },
    {
      field: 'overdue_only',
      label: t('payments.aging.filters.overdue'),
      component: 'select',
      options: [{ value: 'true', label: t('payments.aging.filters.overdueOnly') }],
      placeholder: t('common.all'),
    },
  ]);
}

export function useAgingColumns() {
  const column = useColumnFactory('payments.aging.columns');
  return computed<TableColumnData[]>(() => [
    // At 1440 px the key columns — 未结金额 and 逾期 — stay in view: fixed on the right
    // (the customer on the left); the buckets and balances scroll between them.
    column('customer', { width: 240, fixed: 'left', ellipsis: true, tooltip: true }),
    column('sales_owner', { width: 110 }),
    column('open_bills', { width: 90, align: 'right' }),
    ...moneyColumns(column, BUCKETS, 125),
    column('max_overdue_days', { width: 100, align: 'right' }),
    column('unapplied', { width: 125, align: 'right' }),
    column('net', { width: 140, align: 'right' }),
    column('outstanding', { width: 140, align: 'right', fixed: 'right' }),
    column('overdue', { width: 125, align: 'right', fixed: 'right' }),
  ]);
}
