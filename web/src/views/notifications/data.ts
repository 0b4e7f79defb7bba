import { computed } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import i18n from '@/locale';
import type { NotificationChannel, NotificationEvent, NotificationStatus, NotificationView } from '@/api/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { useColumnFactory } from '@/utils/columns';

/** 通知记录 keeps its filters (the query of `GET /notifications`) in the URL. */
export const FILTER_KEYS = ['event', 'channel', 'status', 'customer_id', 'from', 'to'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** The events in the order the pages list them: to customers first, then the staff digests. */
export const EVENTS: readonly NotificationEvent[] = ['bill.issued', 'bill.overdue', 'customer.suspended', 'payment.received', 'digest.sales', 'digest.operations'];
export const CHANNELS: readonly NotificationChannel[] = ['email', 'sms'];
export const STATUSES: readonly NotificationStatus[] = ['queued', 'sending', 'sent', 'failed', 'skipped'];
export const STATUS_COLORS: Record<NotificationStatus, string> = {
  queued: 'arcoblue',
  sending: 'cyan',
  sent: 'green',
  failed: 'red',
  skipped: 'gray',
};

/** An event in words; a code the page does not know (a newer server), as it is. */
export function eventLabel(event: string): string {
  const key = `notifications.event.${event}`;
  return i18n.global.te(key) ? i18n.global.t(key) : event;
}

/** A sent bill e-mail whose attachment was not kept (storage down when it went out, or sent before copies were kept). */
export const attachmentMissing = (n: Pick<NotificationView, 'event' | 'channel' | 'status' | 'attachment_kept'>) =>
  n.event === 'bill.issued' && n.channel === 'email' && n.status === 'sent' && !n.attachment_kept;

/** Only a failed notification may be sent again (409 NOT_RESENDABLE otherwise). */
export const resendable = (n: Pick<NotificationView, 'status'>) => n.status === 'failed';

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    {
      field: 'event',
      label: t('notifications.filters.event'),
      component: 'select',
      options: EVENTS.map((value) => ({ value, label: eventLabel(value) })),
      placeholder: t('common.all'),
    },
    {
      field: 'channel',
      label: t('notifications.filters.channel'),
      component: 'select',
      options: CHANNELS.map((value) => ({ value, label: t(`notifications.channel.${value}`) })),
      placeholder: t('common.all'),
    },
    {
      field: 'status',
      label: t('notifications.filters.status'),
      component: 'select',
      options: STATUSES.map((value) => ({ value, label: t(`notifications.status.${value}`) })),
      placeholder: t('common.all'),
    },
    { field: 'customer_id', label: t('notifications.filters.customer'), component: 'customer' },
    {
      field: 'range',
      label: t('notifications.filters.dateRange'),
      component: 'dateRange',
      rangeFields: ['from', 'to'],
      props: { valueFormat: 'YYYY-MM-DD' },
    },
  ]);
}

/**
 * The notification table's columns; the status and the actions stay in sight on the right.
 * Each has a width: the table scrolls sideways by their sum.
 */
export function useNotificationColumns(options: { customer?: boolean } = {}) {
  const column = useColumnFactory('notifications.columns');
  return computed<TableColumnData[]>(() => [
    column('created_at', { width: 180 }),
    column('event', { width: 170 }),
    column('channel', { width: 64 }),
    column('recipient', { width: 170 }),
    ...(options.customer === false ? [] : [column('customer', { width: 220, ellipsis: true, tooltip: true })]),
    column('bill_no', { width: 160 }),
    column('attempts', { width: 90, align: 'right' }),
    column('last_error', { width: 240 }),
    column('status', { width: 90, fixed: 'right' }),
    column('actions', { width: 240, fixed: 'right' }),
  ]);
}
