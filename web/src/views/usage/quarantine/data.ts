import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { QUARANTINE_REASONS } from '@/utils/usage-rules';
import { reasonLabel } from '../messages';
import { useColumnFactory } from '@/utils/columns';

export const FILTER_KEYS = ['status', 'reason', 'source', 'q'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
/** No status in the URL means the work queue: the pending ones. `all` drops the filter. */
export const STATUSES = ['pending', 'resolved', 'discarded', 'all'] as const;

/** The request's status: pending by default, none for `all`. */
export function statusParam(status: string | undefined): string | undefined {
  if (!status) return 'pending';
  return status === 'all' ? undefined : status;
}

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    {
      field: 'status',
      label: t('usage.quarantine.filters.status'),
      component: 'select',
      options: STATUSES.map((s) => ({ value: s, label: t(`usage.quarantine.status.${s}`) })),
      placeholder: t('usage.quarantine.status.pending'),
    },
    {
      field: 'reason',
      label: t('usage.quarantine.filters.reason'),
      component: 'select',
      options: QUARANTINE_REASONS.map((r) => ({ value: r, label: reasonLabel(r) })),
      placeholder: t('common.all'),
    },
    {
      field: 'source',
      label: t('usage.quarantine.filters.source'),
      component: 'input',
      placeholder: t('usage.quarantine.filters.sourcePlaceholder'),
    },
    { field: 'q', label: t('usage.quarantine.filters.q'), component: 'input', placeholder: t('usage.quarantine.filters.qPlaceholder') },
  ]);
}

export function useColumns() {
  const column = useColumnFactory('usage.quarantine.columns');
  return computed<TableColumnData[]>(() => [
    column('id', { width: 80 }),
    column('reason', { minWidth: 260 }),
    column('account', { width: 200, ellipsis: true, tooltip: true }),
    column('series', { width: 70 }),
    column('day', { width: 110 }),
    column('quantity', { width: 110, align: 'right' }),
    column('source', { width: 140 }),
    column('occurrences', { width: 80, align: 'right' }),
    column('created_at', { width: 170 }),
    column('status', { width: 140 }),
    column('actions', { width: 90, fixed: 'right', align: 'center' }),
  ]);
}
