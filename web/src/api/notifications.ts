import type { AxiosRequestConfig } from 'axios';
import { downloadFile } from './download';
import { request } from './http';
import type {
  ChannelStatus,
  NotificationChannel,
  NotificationEvent,
  NotificationListQuery,
  NotificationPreferences,
  NotificationView,
  PageQuery,
  Paginated,
  TemplateInput,
  TemplatePreview,
  TemplatePreviewInput,
  TemplateView,
} from './types';

/** A template's address: `bill.overdue` needs no escaping, but a code is data. */
const template = (event: NotificationEvent, channel: NotificationChannel) =>
  `/notification-templates/${encodeURIComponent(event)}/${encodeURIComponent(channel)}`;

/**
 * `GET /notifications` (notifications.view): the outbox, newest first, filtered by
 * `event`, `channel`, `status`, `customer_id` and the creation day (`from`, `to`).
 * Recipients come masked.
 */
export function listNotifications(query: NotificationListQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<NotificationView>>('/notifications', { ...config, params: query });
}

/** `POST /notifications/{id}/resend` (notifications.manage): a failed one back to `queued`; 409 NOT_RESENDABLE otherwise. */
export function resendNotification(id: number, config?: AxiosRequestConfig) {
  return request.post<NotificationView>(`/notifications/${id}/resend`, undefined, config);
}

/**
 * `GET /notifications/{id}/attachment` (notifications.view): the attachment an e-mail
 * carried (the bill PDF), exactly as sent, kept in file storage; saved under its name.
 * Only for rows with `attachment_kept`; 404 when none was kept, 503 while storage is down.
 */
export function downloadNotificationAttachment(notification: Pick<NotificationView, 'id' | 'attachment_name'>) {
  return downloadFile(`/notifications/${notification.id}/attachment`, { fallbackName: notification.attachment_name ?? `notification-${notification.id}.pdf` });
}

/** `GET /notifications/channels` (notifications.view): whether SMTP and the SMS adapter are configured (opcms.toml). */
export function getChannelStatus(config?: AxiosRequestConfig) {
  return request.get<ChannelStatus>('/notifications/channels', config);
}

/** `GET /customers/{id}/notifications` (customers.view, in the user's scope): that customer's notifications, newest first. */
export function listCustomerNotifications(customerId: number, query: PageQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<NotificationView>>(`/customers/${customerId}/notifications`, { ...config, params: query });
}

/** `GET /customers/{id}/notification-preferences` (customers.view): which channels the customer receives. */
export function getNotificationPreferences(customerId: number, config?: AxiosRequestConfig) {
  return request.get<NotificationPreferences>(`/customers/${customerId}/notification-preferences`, config);
}

/** `PUT /customers/{id}/notification-preferences` (customers.edit_contact): both switches; answers them as saved. */
export function updateNotificationPreferences(customerId: number, body: NotificationPreferences, config?: AxiosRequestConfig) {
  return request.put<NotificationPreferences>(`/customers/${customerId}/notification-preferences`, body, config);
}

/** `GET /notification-templates` (notifications.view): one per event and channel, with the variables each may use. */
export function listTemplates(config?: AxiosRequestConfig) {
  return request.get<TemplateView[]>('/notification-templates', config);
}

/**
 * `PUT /notification-templates/{event}/{channel}` (notifications.manage). 400 on `subject` /
 * `body`: UNKNOWN_VARIABLE (the message names it), UNCLOSED_VARIABLE, REQUIRED, TOO_LONG.
 */
export function saveTemplate(event: NotificationEvent, channel: NotificationChannel, body: TemplateInput, config?: AxiosRequestConfig) {
  return request.put<TemplateView>(template(event, channel), body, config);
}

/** `DELETE /notification-templates/{event}/{channel}` (notifications.manage): back to the default, which it answers. */
export function resetTemplate(event: NotificationEvent, channel: NotificationChannel, config?: AxiosRequestConfig) {
  return request.delete<TemplateView>(template(event, channel), config);
}

/**
 * `POST /notification-templates/preview` (notifications.view): the text rendered against a
 * real bill (`bill_id`, else the latest issued one; sample values when there is none).
 * The same 400s as saving.
 */
export function previewTemplate(body: TemplatePreviewInput, config?: AxiosRequestConfig) {
  return request.post<TemplatePreview>('/notification-templates/preview', body, config);
}
