/**
 * 通知记录 and a customer's 通知 tab against the contract, the HTTP client answered by a
 * mock: the filters in the URL and in the request, what a row shows (masked recipient,
 * status in colour, the failure), the text in the drawer, 重新发送 after a confirmation,
 * 下载附件 for a kept bill PDF, and the customer's channel switches.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { h } from 'vue';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { NotificationView, Paginated } from '@/api/types';
import i18n from '@/locale';
import NotificationsPage from '@/views/notifications/index.vue';
import NotificationsTab from '@/views/customers/detail/components/NotificationsTab.vue';
import { eventLabel } from '@/views/notifications/data';
import { flush, mountPage, mountRoutedPage } from './support/mount';

const MANAGE = ['notifications.view', 'notifications.manage', 'customers.view', 'customers.edit', 'customers.edit_contact'];
const VIEW = ['notifications.view', 'customers.view'];
const SALES = ['customers.view', 'customers.edit_contact', 'billing.view'];

const notification = (over: Partial<NotificationView> = {}): NotificationView => ({
  id: 12,
  event: 'bill.overdue',
  channel: 'email',
  status: 'failed',
  recipient: 'z***@example.com',
  customer: { id: 7, customer_code: 'C000007', company_name: '星河物业' },
  user: null,
  bill_id: 30,
  bill_no: 'B202611-000030',
  stage: 7,
  subject: '星河科技：账单 B202611-000030 已逾期 7 天',
  body: '尊敬的星河物业：\n\n您的账单 B202611-000030 已逾期 7 天。',
  attempts: 4,
  last_error: 'SMTP 连接超时（smtp.example.com:465）',
  next_attempt_at: null,
  created_at: '2026-12-05T00:00:00Z',
  sent_at: null,
  attachment_kept: false,
  attachment_name: null,
  ...over,
});
const sent = notification({ id: 13, channel: 'sms', status: 'sent', recipient: '138****5678', subject: null, attempts: 1, last_error: null, sent_at: '2026-12-05T00:00:05Z' });
const digest = notification({
  id: 14, event: 'digest.sales', status: 'queued', customer: null, user: { id: 3, display_name: '李销售' }, bill_id: null, bill_no: null, stage: null,
  last_error: null, attempts: 1, next_attempt_at: '2026-12-05T00:05:00Z',
});
const mailed = notification({
  id: 15, event: 'bill.issued', status: 'sent', stage: null, subject: '账单 B202611-000030', attempts: 1, last_error: null,
  sent_at: '2026-12-05T00:00:05Z', attachment_kept: true, attachment_name: 'B202611-000030.pdf',
});
const page = (items: NotificationView[]): Paginated<NotificationView> => ({ items, total: items.length, page: 1, page_size: 20 });

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '星河物业' });
});
afterEach(() => {
  mock.restore();
  document.querySelectorAll('.arco-modal-container, .arco-drawer-container').forEach((n) => n.remove());
});

const byId = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
async function click(el: Element | null | undefined) {
  if (!el) throw new Error('nothing to click');
  (el as HTMLElement).click();
  await flush();
}
const listReads = () => mock.history.get?.filter((r) => r.url === '/notifications') ?? [];
const confirmOk = () => click(document.querySelector('.arco-modal .arco-modal-footer .arco-btn-primary'));

describe('通知记录', () => {
  it('sends the URL’s filters and shows each notification: event and stage, masked recipient, customer, bill, status, failure', async () => {
    mock.onGet('/notifications').reply(200, page([notification(), sent, digest]));
    const el = await mountPage('/notifications?event=bill.overdue&status=failed&customer_id=7&from=2026-12-01&to=2026-12-07', NotificationsPage, MANAGE);
    expect(listReads()[0]?.params).toEqual({ event: 'bill.overdue', status: 'failed', customer_id: '7', from: '2026-12-01', to: '2026-12-07', page: 1, page_size: 20 });

    const table = byId(el, 'notifications-table')!;
    const rows = [...table.querySelectorAll('tbody tr')];
    expect(rows).toHaveLength(3);
    expect(rows[0]?.querySelector('[data-event="bill.overdue"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('逾期提醒 逾期 7 天');
    expect(rows[0]?.textContent).toContain('z***@example.com');
    expect(rows[0]?.querySelector('[data-status="failed"]')?.textContent).toBe('失败');
    expect(rows[0]?.querySelector('a[href="/customers/7?tab=notifications"]')?.textContent).toContain('星河物业');
    expect(rows[0]?.querySelector('a[href="/bills/30"]')?.textContent).toBe('B202611-000030');
    expect(rows[0]?.querySelector('[data-testid="notification-error"]')?.textContent).toBe('SMTP 连接超时（smtp.example.com:465）');
    expect(rows[1]?.querySelector('[data-status="sent"]')?.textContent).toBe('已发送');
    expect(rows[1]?.textContent).toContain('138****5678');
    expect(rows[1]?.textContent).toContain('短信');
    // A digest went to a member of staff, and waits for its retry.
    expect(rows[2]?.textContent).toContain('销售逾期摘要');
    expect(rows[2]?.textContent).toContain('员工');
    expect(rows[2]?.textContent).toContain('李销售');
    expect(rows[2]?.textContent).toContain('将于');
    // 重新发送 on the failed row only.
    expect(byId(el, 'resend-12')).not.toBeNull();
    expect(byId(el, 'resend-13')).toBeNull();
    expect(byId(el, 'resend-14')).toBeNull();
  });

  it('puts a chosen filter in the URL, from page 1, and 重置 clears them', async () => {
    mock.onGet('/notifications').reply(200, page([notification()]));
    const { el, router } = await mountRoutedPage('/notifications?status=failed&page=2', NotificationsPage, VIEW);
    // The channel select: open it and pick 短信.
    await click(el.querySelector('[data-field="channel"] .arco-select-view, .arco-select-view[data-field="channel"]'));
    const option = [...document.querySelectorAll('.arco-select-option')].find((o) => o.textContent?.trim() === '短信');
    await click(option);
    await click(byId(el, 'search'));
    expect(router.currentRoute.value.query).toEqual({ status: 'failed', channel: 'sms' });
    expect(listReads().at(-1)?.params).toEqual({ status: 'failed', channel: 'sms', page: 1, page_size: 20 });

    await click(byId(el, 'reset'));
    expect(router.currentRoute.value.query).toEqual({});
    expect(listReads().at(-1)?.params).toEqual({ page: 1, page_size: 20 });
  });

  it('opens a notification’s subject and body in the drawer', async () => {
    mock.onGet('/notifications').reply(200, page([notification(), sent]));
    const el = await mountPage('/notifications', NotificationsPage, VIEW);
    await click(byId(el, 'open-notification-12'));
    const drawer = byId(document, 'notification-drawer');
    expect(byId(drawer!, 'notification-subject')?.textContent).toBe('星河科技：账单 B202611-000030 已逾期 7 天');
    expect(byId(drawer!, 'notification-body')?.textContent).toBe('尊敬的星河物业：\n\n您的账单 B202611-000030 已逾期 7 天。');
    expect(byId(drawer!, 'drawer-error')?.textContent).toContain('SMTP 连接超时');
    // A viewer cannot resend, in the table or the drawer.
    expect(byId(drawer!, 'drawer-resend')).toBeNull();
    expect(byId(el, 'resend-12')).toBeNull();
  });

  it('resends a failed one after a confirmation, then reads the list again', async () => {
    mock.onGet('/notifications').replyOnce(200, page([notification()]));
    mock.onGet('/notifications').reply(200, page([notification({ status: 'queued', attempts: 0, last_error: null })]));
    mock.onPost('/notifications/12/resend').reply(200, notification({ status: 'queued', attempts: 0, last_error: null }));
    const el = await mountPage('/notifications', NotificationsPage, MANAGE);
    await click(byId(el, 'resend-12'));
    expect(document.querySelector('.arco-modal')?.textContent).toContain('将「逾期提醒」重新发送给 z***@example.com');
    expect(mock.history.post ?? []).toHaveLength(0);
    await confirmOk();
    expect(mock.history.post?.map((r) => r.url)).toEqual(['/notifications/12/resend']);
    expect(document.body.textContent).toContain('已重新加入发送队列');
    expect(listReads()).toHaveLength(2);
    expect(el.querySelector('[data-status="queued"]')?.textContent).toBe('待发送');
    expect(byId(el, 'resend-12')).toBeNull();
  });

  it('keeps the dialog and the row when the server refuses (409 NOT_RESENDABLE)', async () => {
    mock.onGet('/notifications').reply(200, page([notification()]));
    mock.onPost('/notifications/12/resend').reply(409, { error: { code: 'NOT_RESENDABLE', message: '只有发送失败的通知可以重新发送', details: [] } });
    const el = await mountPage('/notifications', NotificationsPage, MANAGE);
    await click(byId(el, 'open-notification-12'));
    await click(byId(document, 'drawer-resend'));
    await confirmOk();
    expect(document.body.textContent).toContain('只有发送失败的通知可以重新发送');
    expect(listReads()).toHaveLength(1);
    expect(document.querySelector('.arco-modal')).not.toBeNull();
  });

  it('shows cards instead of the table on a phone', async () => {
    vi.spyOn(window, 'matchMedia').mockImplementation(
      (query: string) => ({ matches: true, media: query, addEventListener: () => undefined, removeEventListener: () => undefined }) as unknown as MediaQueryList,
    );
    mock.onGet('/notifications').reply(200, page([notification(), sent]));
    const el = await mountPage('/notifications', NotificationsPage, MANAGE);
    expect(byId(el, 'notifications-table')).toBeNull();
    const cards = el.querySelectorAll('[data-testid="notification-card"]');
    expect(cards).toHaveLength(2);
    expect(cards[0]?.textContent).toContain('z***@example.com');
    expect(cards[0]?.querySelector('[data-testid="resend-12"]')).not.toBeNull();
  });

  it('下载附件 on a row whose bill PDF is kept saves it through the API client under its name', async () => {
    const unkept = notification({ ...mailed, id: 16, attachment_kept: false, attachment_name: null });
    mock.onGet('/notifications').reply(200, page([mailed, unkept, sent]));
    mock.onGet('/notifications/15/attachment').reply(200, new Blob(['%PDF-']), {
      'content-disposition': "attachment; filename=\"B202611-000030.pdf\"; filename*=UTF-8''B202611-000030.pdf",
    });
    const saved: string[] = [];
    URL.createObjectURL = vi.fn(() => 'blob:attachment');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    const el = await mountPage('/notifications', NotificationsPage, VIEW);
    expect(byId(el, 'download-attachment-16')).toBeNull();
    expect(byId(el, 'download-attachment-13')).toBeNull();
    expect(byId(el, 'download-attachment-15')?.textContent?.trim()).toBe('下载附件');
    await click(byId(el, 'download-attachment-15'));
    expect(mock.history.get?.find((r) => r.url === '/notifications/15/attachment')?.responseType).toBe('blob');
    expect(saved).toEqual(['B202611-000030.pdf']);

    // The drawer names the kept file, or says a sent bill e-mail's copy is missing.
    await click(byId(el, 'open-notification-15'));
    expect(byId(document, 'notification-drawer')?.textContent).toContain('B202611-000030.pdf');
    expect(byId(document, 'drawer-download-attachment')).not.toBeNull();
    await click(byId(el, 'open-notification-16'));
    expect(byId(document, 'drawer-download-attachment')).toBeNull();
    expect(byId(document, 'drawer-attachment-missing')?.textContent).toContain('未保存');
  });

  it('says so when the kept copy cannot be read (503 storage down)', async () => {
    mock.onGet('/notifications').reply(200, page([mailed]));
    mock.onGet('/notifications/15/attachment').reply(503, { error: { code: 'STORAGE_UNAVAILABLE', message: '文件存储暂不可用：连不上存储服务', details: [] } });
    const el = await mountPage('/notifications', NotificationsPage, VIEW);
    await click(byId(el, 'download-attachment-15'));
    expect(document.body.textContent).toContain('连不上存储服务');
  });

  it('names an event it does not know by its code', () => {
    expect(eventLabel('bill.overdue')).toBe('逾期提醒');
    expect(eventLabel('contract.ending')).toBe('contract.ending');
  });
});

describe('客户详情 · 通知', () => {
  const tab = { render: () => h(NotificationsTab, { customerId: 7 }) };
  const switchOf = (el: HTMLElement, channel: string) => el.querySelector<HTMLButtonElement>(`[data-field="prefer-${channel}"]`);

  beforeEach(() => {
    mock.onGet('/customers/7/notifications').reply(200, page([notification(), sent]));
    mock.onGet('/customers/7/notification-preferences').reply(200, { email: true, sms: true });
  });

  it('lists the customer’s notifications without the customer column, and links to the log for notifications.view', async () => {
    const el = await mountPage('/customers/7', tab, MANAGE);
    expect(mock.history.get?.find((r) => r.url === '/customers/7/notifications')?.params).toEqual({ page: 1, page_size: 10 });
    expect(el.querySelectorAll('[data-testid="notifications-table"] tbody tr')).toHaveLength(2);
    expect(el.querySelector('a[href="/customers/7?tab=notifications"]')).toBeNull();
    expect(byId(el, 'customer-notifications-all')?.getAttribute('href')).toBe('/notifications?customer_id=7');
  });

  it('saves a switch at once, both channels in the body, and turns it once saved', async () => {
    mock.onPut('/customers/7/notification-preferences').reply((config) => [200, JSON.parse(String(config.data))]);
    const el = await mountPage('/customers/7', tab, SALES);
    expect(switchOf(el, 'email')?.getAttribute('data-checked')).toBe('true');
    expect(switchOf(el, 'sms')?.getAttribute('data-checked')).toBe('true');
    await click(switchOf(el, 'sms'));
    expect(mock.history.put?.map((r) => [r.url, JSON.parse(String(r.data))])).toEqual([['/customers/7/notification-preferences', { email: true, sms: false }]]);
    expect(switchOf(el, 'sms')?.getAttribute('data-checked')).toBe('false');
    expect(document.body.textContent).toContain('通知设置已保存');
    // Sales sees the customer's notifications but has no notification log to link to.
    expect(byId(el, 'customer-notifications-all')).toBeNull();
  });

  it('offers 下载附件 on the tab to notifications.view only, as the server checks', async () => {
    mock.resetHandlers();
    mock.onGet('/customers/7').reply(200, { id: 7, customer_code: 'C000007', company_name: '星河物业' });
    mock.onGet('/customers/7/notifications').reply(200, page([mailed, sent]));
    mock.onGet('/customers/7/notification-preferences').reply(200, { email: true, sms: true });
    const el = await mountPage('/customers/7', tab, MANAGE);
    expect(byId(el, 'download-attachment-15')).not.toBeNull();
    const sales = await mountPage('/customers/7', tab, SALES);
    expect(byId(sales, 'download-attachment-15')).toBeNull();
  });

  it('keeps a switch where it was when the server refuses', async () => {
    mock.onPut('/customers/7/notification-preferences').reply(403, { error: { code: 'FORBIDDEN', message: '无权执行此操作', details: [] } });
    const el = await mountPage('/customers/7', tab, SALES);
    await click(switchOf(el, 'email'));
    expect(mock.history.put).toHaveLength(1);
    expect(switchOf(el, 'email')?.getAttribute('data-checked')).toBe('true');
  });

  it('only shows the switches without customers.edit_contact', async () => {
    const el = await mountPage('/customers/7', tab, ['customers.view']);
    expect(switchOf(el, 'email')?.disabled).toBe(true);
    await click(switchOf(el, 'email'));
    expect(mock.history.put ?? []).toHaveLength(0);
  });
});
