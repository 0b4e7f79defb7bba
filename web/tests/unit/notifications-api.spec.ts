/** The notifications client against the contract: paths, methods, bodies, query strings. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import * as api from '@/api/notifications';
import { http, isApiError } from '@/api/http';

describe('notification requests', () => {
  let mock: MockAdapter;
  beforeEach(() => {
    mock = new MockAdapter(http);
  });
  afterEach(() => mock.restore());

  it('lists the log with the filters as query parameters, and a customer’s own page', async () => {
    mock.onGet('/notifications').reply((config) => [200, config.params]);
    mock.onGet('/customers/7/notifications').reply((config) => [200, config.params]);
    const query = { event: 'bill.overdue', channel: 'email', status: 'failed', customer_id: '7', from: '2026-12-01', to: '2026-12-07', page: 2, page_size: 20 };
    await expect(api.listNotifications(query)).resolves.toEqual(query);
    await expect(api.listCustomerNotifications(7, { page: 1, page_size: 10 })).resolves.toEqual({ page: 1, page_size: 10 });
  });

  it('resends one by id with no body, and passes a 409 NOT_RESENDABLE on as an ApiError', async () => {
    mock.onPost('/notifications/12/resend').reply((config) => [200, { id: 12, status: 'queued', sent: config.data ?? null }]);
    mock.onPost('/notifications/13/resend').reply(409, { error: { code: 'NOT_RESENDABLE', message: '只有发送失败的通知可以重新发送', details: [] } });
    await expect(api.resendNotification(12)).resolves.toEqual({ id: 12, status: 'queued', sent: null });
    const failure = await api.resendNotification(13, { silent: true }).catch((e: unknown) => e);
    expect(isApiError(failure) && [failure.status, failure.code]).toEqual([409, 'NOT_RESENDABLE']);
  });

  it('reads the channels, and reads and replaces a customer’s preferences', async () => {
    mock.onGet('/notifications/channels').reply(200, { email: { configured: false, from: null }, sms: { configured: true } });
    mock.onGet('/customers/7/notification-preferences').reply(200, { email: true, sms: true });
    mock.onPut('/customers/7/notification-preferences').reply((config) => [200, JSON.parse(String(config.data))]);
    await expect(api.getChannelStatus()).resolves.toEqual({ email: { configured: false, from: null }, sms: { configured: true } });
    await expect(api.getNotificationPreferences(7)).resolves.toEqual({ email: true, sms: true });
    await expect(api.updateNotificationPreferences(7, { email: true, sms: false })).resolves.toEqual({ email: true, sms: false });
  });

  it('lists, saves, restores and previews templates at their event and channel', async () => {
    mock.onGet('/notification-templates').reply(200, []);
    mock.onPut('/notification-templates/bill.overdue/email').reply((config) => [200, JSON.parse(String(config.data))]);
    mock.onDelete('/notification-templates/bill.overdue/sms').reply(200, { event: 'bill.overdue', channel: 'sms', is_default: true });
    mock.onPost('/notification-templates/preview').reply((config) => [200, JSON.parse(String(config.data))]);
    await expect(api.listTemplates()).resolves.toEqual([]);
    await expect(api.saveTemplate('bill.overdue', 'email', { subject: '逾期 {{days_overdue}} 天', body: '您好' })).resolves.toEqual({
      subject: '逾期 {{days_overdue}} 天',
      body: '您好',
    });
    await expect(api.resetTemplate('bill.overdue', 'sms')).resolves.toEqual({ event: 'bill.overdue', channel: 'sms', is_default: true });
    const preview = { event: 'bill.issued' as const, channel: 'sms' as const, subject: null, body: '{{bill_no}}', bill_id: 4 };
    await expect(api.previewTemplate(preview)).resolves.toEqual(preview);
  });
});
