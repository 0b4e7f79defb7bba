import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { GRADE_KEYS, GRADES } from '@/utils/analytics';
import { useColumnFactory } from '@/utils/columns';
import { futureDay } from '@/views/payments/data';

/** 信用评分 keeps its filters in the URL (no `as_of`: today). */
export const FILTER_KEYS = ['q', 'grade', 'as_of'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** The four factors of a score, in the order of their weight (40, 25, 20, 15). */
export const FACTORS = ['on_time', 'late_days', 'overdue_ratio', 'tenure_months'] as const;
export type FactorKey = (typeof FACTORS)[number];

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('analytics.filters.q'), component: 'input', placeholder: t('analytics.filters.qPlaceholder') },
    {
      field: 'grade',
      label: t('analytics.credit.filters.grade'),
      component: 'select',
      options: GRADES.map((grade) => ({ value: grade, label: t(`analytics.grade.${GRADE_KEYS[grade]}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'as_of',
      label: t('analytics.credit.filters.as_of'),
      component: 'date',
      placeholder: t('analytics.filters.today'),
      props: { disabledDate: futureDay },
    },
  ]);
}

export function useCreditColumns() {
  const column = useColumnFactory('analytics.credit.columns');
  return computed<TableColumnData[]>(() => [
    column('customer', { width: 260, fixed: 'left', ellipsis: true, tooltip: true }),
    column('score', { width: 90, align: 'right' }),
    column('grade', { width: 100 }),
    ...FACTORS.map((key) => column(key, { width: 120, align: 'right' as const })),
    column('window_bills', { width: 110, align: 'right' }),
  ]);
}
