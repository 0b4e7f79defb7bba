import { computed, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { OwnerOption } from '@/api/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { RISKS } from '@/utils/analytics';
import { useColumnFactory } from '@/utils/columns';
import { futureDay } from '@/views/payments/data';

/** 流失预警 keeps its filters in the URL (no `as_of`: today, as the server counts it). */
export const FILTER_KEYS = ['q', 'risk', 'owner_id', 'as_of'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export function useSearchSchema(owners: Ref<OwnerOption[]>) {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('analytics.filters.q'), component: 'input', placeholder: t('analytics.filters.qPlaceholder') },
    {
      field: 'risk',
      label: t('analytics.churn.filters.risk'),
      component: 'select',
      options: RISKS.map((risk) => ({ value: risk, label: t(`analytics.risk.${risk}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'owner_id',
      label: t('analytics.churn.filters.owner'),
      component: 'select',
      placeholder: t('common.all'),
      options: owners.value.map((o) => ({ value: String(o.id), label: o.display_name })),
      props: { allowSearch: true },
    },
    {
      field: 'as_of',
      label: t('analytics.churn.filters.as_of'),
      component: 'date',
      placeholder: t('analytics.filters.today'),
      props: { disabledDate: futureDay },
    },
  ]);
}

export function useChurnColumns() {
  const column = useColumnFactory('analytics.churn.columns');
  return computed<TableColumnData[]>(() => [
    column('customer', { width: 260, ellipsis: true, tooltip: true }),
    column('risk', { width: 100 }),
    column('flags', { minWidth: 360 }),
    column('account_status', { width: 100 }),
    column('sales_owner', { width: 120 }),
  ]);
}
