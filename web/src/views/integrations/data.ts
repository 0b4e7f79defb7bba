import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { ErpDocKind, ErpSyncEntry, ErpSyncStatus } from '@/api/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { useColumnFactory } from '@/utils/columns';

/** 集成 keeps the sync log's filters (the query of `GET /integrations/erp/documents`) in the URL. */
export const FILTER_KEYS = ['kind', 'status', 'q'] as const;

export const KINDS: readonly ErpDocKind[] = ['bill', 'credit_note', 'receipt'];
export const STATUSES: readonly ErpSyncStatus[] = ['queued', 'sending', 'sent', 'failed'];
export const STATUS_COLORS: Record<ErpSyncStatus, string> = { queued: 'arcoblue', sending: 'cyan', sent: 'green', failed: 'red' };
/** A connector's state: 未配置 gray, 正常 green, 同步中 blue, 异常 red. */
export const STATE_COLORS: Record<string, string> = { not_configured: 'gray', idle: 'green', ok: 'green', busy: 'arcoblue', failing: 'red' };

/** A failed document, or a sent one to make sure (the ERP answers "already have it"); not while queued. */
export const resendable = (e: Pick<ErpSyncEntry, 'status'>) => e.status === 'failed' || e.status === 'sent';

/** Where a document is read in full: its bill or payment page (a credit note is on its bill's page). */
export function documentLink(e: Pick<ErpSyncEntry, 'kind' | 'doc_id' | 'doc_no'>): string | null {
  if (e.kind === 'bill') return `/bills/${e.doc_id}`;
  if (e.kind === 'receipt') return `/payments/${e.doc_id}`;
  return null;
}

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    {
      field: 'kind',
      label: t('integrations.filters.kind'),
      component: 'select',
      options: KINDS.map((value) => ({ value, label: t(`integrations.kind.${value}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'status',
      label: t('integrations.filters.status'),
      component: 'select',
      options: STATUSES.map((value) => ({ value, label: t(`integrations.status.${value}`) })),
      placeholder: t('common.all'),
    },
    { field: 'q', label: t('integrations.filters.q'), component: 'input', placeholder: t('integrations.filters.qPlaceholder') },
  ]);
}

/** The sync log's columns; the status and the action stay in sight on the right. */
export function useErpColumns() {
  const column = useColumnFactory('integrations.columns');
  return computed<TableColumnData[]>(() => [
    column('updated_at', { width: 170 }),
    column('kind', { width: 90 }),
    column('doc_no', { width: 190 }),
    column('customer', { width: 200, ellipsis: true, tooltip: true }),
    column('attempts', { width: 90, align: 'right' }),
    column('result', { width: 260 }),
    column('status', { width: 90, fixed: 'right' }),
    column('actions', { width: 110, fixed: 'right' }),
  ]);
}
