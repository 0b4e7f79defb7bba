import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import { IconPlus, IconUpload } from '@arco-design/web-vue/es/icon';
import type { ListAction } from '@/components/list/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { useColumnFactory } from '@/utils/columns';
import { formatDate } from '@/utils/format';
import { PAYMENT_METHODS, PAYMENT_STATUSES, todayChina } from '@/utils/payment-rules';

/** 收款列表 keeps its filters (docs/api/payments.md's list filters) and its sort order in the URL. */
export const FILTER_KEYS = ['q', 'customer_id', 'method', 'status', 'from', 'to', 'unassigned', 'sort'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** A date picker's days after today (China time) cannot be picked: no money arrives tomorrow. */
export const futureDay = (d?: Date) => !!d && formatDate(d) > todayChina();

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('payments.filters.q'), component: 'input', placeholder: t('payments.filters.qPlaceholder') },
    { field: 'customer_id', label: t('payments.filters.customer'), component: 'customer' },
    {
      field: 'method',
      label: t('payments.filters.method'),
      component: 'select',
      options: PAYMENT_METHODS.map((m) => ({ value: m, label: t(`payments.method.${m}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'status',
      label: t('payments.filters.status'),
      component: 'multiSelect',
      options: PAYMENT_STATUSES.map((s) => ({ value: s, label: t(`payments.status.${s}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'received',
      label: t('payments.filters.received'),
      component: 'dateRange',
      rangeFields: ['from', 'to'],
      props: { valueFormat: 'YYYY-MM-DD', disabledDate: futureDay },
    },
    {
      field: 'unassigned',
      label: t('payments.filters.unassigned'),
      component: 'select',
      options: [{ value: 'true', label: t('payments.filters.unassignedOnly') }],
      placeholder: t('common.all'),
    },
  ]);
}

/** 收款列表's buttons, after 导出. */
export const LIST_ACTIONS: ListAction[] = [
  { label: 'payments.list.import', icon: IconUpload, to: '/payments/import', testId: 'go-import-payments', permission: 'payments.manage' },
  { label: 'payments.list.create', icon: IconPlus, to: '/payments/new', testId: 'create-payment', permission: 'payments.manage', primary: true },
];

/** Columns the server sorts by (`sort=amount` / `sort=-amount`; default `-received_at`). */
export const SORTABLE = ['payment_no', 'received_at', 'amount'];

/** The amounts of a payment, in the order they read: received, allocated, left. */
export const PAYMENT_AMOUNTS = ['amount', 'allocated', 'unapplied'] as const;
export type PaymentAmountKey = (typeof PAYMENT_AMOUNTS)[number];

export interface ColumnOptions {
  /** The customer column (not on a customer's own statement). */
  customer?: boolean;
}

/** The payment table's columns; with `sort` (the list's `sort` filter) the server sorts some of them. */
export function usePaymentColumns(options: ColumnOptions = {}) {
  const column = useColumnFactory('payments.columns', { sortable: SORTABLE });
  return computed<TableColumnData[]>(() => {
    // At 1440 px the key column — 未核销, what is left to allocate — stays in view: it is
    // fixed on the right beside the actions, the number on the left; the rest scrolls between.
    return [
      column('payment_no', { width: 160, fixed: 'left' }),
      column('received_at', { width: 110 }),
      ...(options.customer === false ? [] : [column('customer', { minWidth: 200, ellipsis: true, tooltip: true })]),
      column('payer_name', { minWidth: 160, ellipsis: true, tooltip: true }),
      column('method', { width: 96 }),
      column('amount', { width: 136, align: 'right' }),
      column('allocated', { width: 136, align: 'right' }),
      column('status', { width: 96 }),
      column('unapplied', { width: 140, align: 'right', fixed: 'right' }),
      column('actions', { width: 110, fixed: 'right', align: 'center' }),
    ];
  });
}
