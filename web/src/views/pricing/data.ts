import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import { IconPlus } from '@arco-design/web-vue/es/icon';
import type { ListAction } from '@/components/list/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { useColumnFactory } from '@/utils/columns';

/** The plan list keeps its name filter in the URL, like every list. */
export const FILTER_KEYS = ['q'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** 定价方案's button: management creates plans. */
export const LIST_ACTIONS: ListAction[] = [
  { label: 'pricing.list.create', icon: IconPlus, to: '/pricing/plans/new', testId: 'create-plan', permission: 'pricing.manage', primary: true },
];

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('pricing.list.search'), component: 'input', placeholder: t('pricing.list.searchPlaceholder') },
  ]);
}

export function useColumns() {
  const column = useColumnFactory('pricing.list.columns');
  return computed<TableColumnData[]>(() => [
    column('name', { minWidth: 200, fixed: 'left', ellipsis: true, tooltip: true }),
    column('current_version', { width: 110 }),
    column('effective_from', { width: 170 }),
    column('in_force_version', { width: 150 }),
    column('customers', { width: 120, align: 'right' }),
    column('updated_at', { width: 180 }),
    column('actions', { width: 170, fixed: 'right', align: 'center' }),
  ]);
}
