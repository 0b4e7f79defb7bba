/**
 * 通知模板 against the contract, the HTTP client answered by a mock: the templates by event,
 * the one in the URL open, the server's preview a moment after typing, a variable put
 * where the cursor was, the server's field errors on the fields (while typing and on 保存),
 * 保存 and 恢复默认, and reading without notifications.manage.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { TemplatePreviewInput, TemplateView } from '@/api/types';
import i18n from '@/locale';
import TemplatesPage from '@/views/notifications/templates/index.vue';
import { insertAt, PREVIEW_DEBOUNCE_MS } from '@/views/notifications/templates/useTemplateEditor';
import { flush, mountRoutedPage } from './support/mount';

const MANAGE = ['notifications.view', 'notifications.manage'];
const VIEW = ['notifications.view'];

const variables = [
  { name: 'customer_name', label: '客户名称' },
  { name: 'bill_no', label: '账单号' },
  { name: 'days_overdue', label: '逾期天数' },
];
const template = (over: Partial<TemplateView> = {}): TemplateView => ({
  event: 'bill.overdue',
  channel: 'email',
  subject: '账单 {{bill_no}} 已逾期',
  body: '尊敬的{{customer_name}}：账单已逾期。',
  is_default: true,
  variables,
  updated_at: null,
  ...over,
});
const TEMPLATES = [
  template({ event: 'bill.issued', subject: '账单 {{bill_no}} 已出具', body: '{{customer_name}}，账单已出具。', variables: variables.slice(0, 2) }),
  template({ event: 'bill.issued', channel: 'sms', subject: null, body: '【短信】账单已出具', variables: variables.slice(0, 2) }),
  template(),
  template({ channel: 'sms', subject: null, body: '【短信】{{customer_name}}账单逾期' }),
];

/** What the server would render: the variables filled from one bill. */
const VALUES: Record<string, string> = { customer_name: '星河物业', bill_no: 'B202611-000030', days_overdue: '7' };
const render = (text: string | null | undefined) => (text ?? '').replace(/\{\{\s*(\w+)\s*\}\}/g, (_, name: string) => VALUES[name] ?? '');
const unknownVariable = (text: string) => /\{\{\s*(\w+)\s*\}\}/g.exec(text.replace(/\{\{\s*(customer_name|bill_no|days_overdue)\s*\}\}/g, ''))?.[1];

function fieldErrors(body: Partial<TemplatePreviewInput>) {
  const details = (['subject', 'body'] as const).flatMap((field) => {
    const name = unknownVariable(body[field] ?? '');
    return name ? [{ field, code: 'UNKNOWN_VARIABLE', message: `模板中有未知变量 {{${name}}}` }] : [];
  });
  return details.length ? { error: { code: 'VALIDATION', message: details[0]!.message, details } } : null;
}

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  mock.onGet('/notification-templates').reply(200, TEMPLATES);
  mock.onGet('/notifications/channels').reply(200, { email: { configured: false, from: null }, sms: { configured: true } });
  mock.onPost('/notification-templates/preview').reply((config) => {
    const body = JSON.parse(String(config.data)) as TemplatePreviewInput;
    const refused = fieldErrors(body);
    if (refused) return [400, refused];
    return [200, { subject: body.subject == null ? null : render(body.subject), body: render(body.body), bill_id: 30, bill_no: 'B202611-000030', customer_name: '星河物业' }];
  });
});
afterEach(() => {
  mock.restore();
  document.querySelectorAll('.arco-modal-container').forEach((n) => n.remove());
});

const byId = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const control = (root: ParentNode, field: string) =>
  root.querySelector<HTMLInputElement | HTMLTextAreaElement>(`[data-field="${field}"] input, [data-field="${field}"] textarea, input[data-field="${field}"], textarea[data-field="${field}"]`)!;
async function type(root: ParentNode, field: string, value: string) {
  const el = control(root, field);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await flush();
}
async function click(el: Element | null | undefined) {
  if (!el) throw new Error('nothing to click');
  (el as HTMLElement).click();
  await flush();
}
/** The preview waits for the typing to stop. */
async function settle() {
  await new Promise((r) => setTimeout(r, PREVIEW_DEBOUNCE_MS + 50));
  await flush();
}
const previews = () => (mock.history.post ?? []).filter((r) => r.url === '/notification-templates/preview').map((r) => JSON.parse(String(r.data)) as TemplatePreviewInput);
const errorOn = (root: ParentNode, field: string) => root.querySelector(`[data-error-for="${field}"] .arco-form-item-message`)?.textContent?.trim() ?? null;
const mount = (path = '/notification-templates?event=bill.overdue&channel=email', permissions = MANAGE) => mountRoutedPage(path, TemplatesPage, permissions);

describe('通知模板', () => {
  it('lists the templates by event, opens the one in the URL and shows the server’s preview of it', async () => {
    const { el } = await mount();
    const list = byId(el, 'template-list')!;
    expect([...list.querySelectorAll('.group-title')].map((g) => g.textContent)).toEqual(['账单出账通知', '逾期提醒']);
    expect(list.querySelector('.active')?.getAttribute('data-template')).toBe('bill.overdue/email');
    expect(byId(el, 'template-editor')?.getAttribute('data-template')).toBe('bill.overdue/email');
    expect(control(el, 'subject').value).toBe('账单 {{bill_no}} 已逾期');
    expect(byId(el, 'channel-status')?.textContent).toContain('未配置 SMTP，邮件不会发送');
    expect(byId(el, 'channel-status')?.textContent).toContain('短信已配置');

    await settle();
    expect(previews()).toEqual([{ event: 'bill.overdue', channel: 'email', subject: '账单 {{bill_no}} 已逾期', body: '尊敬的{{customer_name}}：账单已逾期。', bill_id: null }]);
    expect(byId(el, 'preview-subject')?.textContent).toBe('账单 B202611-000030 已逾期');
    expect(byId(el, 'preview-body')?.textContent).toBe('尊敬的星河物业：账单已逾期。');
    expect(byId(el, 'preview-source')?.textContent).toContain('B202611-000030');
  });

  it('renders again once the typing stops, and against the bill asked for', async () => {
    const { el } = await mount();
    await settle();
    await type(el, 'body', '逾期 {{days_overdue}} 天');
    await type(el, 'body', '逾期 {{days_overdue}} 天，请尽快付款');
    await settle();
    expect(previews()).toHaveLength(2);
    expect(byId(el, 'preview-body')?.textContent).toBe('逾期 7 天，请尽快付款');
    expect(byId(el, 'template-dirty')).not.toBeNull();

    await type(el, 'bill_id', '30');
    await settle();
    expect(previews().at(-1)?.bill_id).toBe(30);
  });

  it('inserts a variable where the cursor was', async () => {
    const { el } = await mount();
    const body = control(el, 'body');
    await type(el, 'body', '您好，请付款');
    body.focus();
    body.setSelectionRange(3, 3);
    await click(el.querySelector('[data-variable="customer_name"]'));
    expect(control(el, 'body').value).toBe('您好，{{customer_name}}请付款');
    expect(insertAt('abc', 1, 2, 'X')).toEqual({ text: 'aXc', cursor: 2 });
    expect(insertAt('abc', 9, 9, 'X')).toEqual({ text: 'abcX', cursor: 4 });
  });

  it('shows the server’s words about an unknown variable on the field while typing, then clears them', async () => {
    const { el } = await mount();
    await type(el, 'body', '您好 {{nope}}');
    await settle();
    expect(errorOn(el, 'body')).toBe('模板中有未知变量 {{nope}}');
    expect(errorOn(el, 'subject')).toBeNull();
    expect(byId(el, 'preview-problems')?.textContent).toContain('模板中有未知变量 {{nope}}');
    await type(el, 'body', '您好 {{customer_name}}');
    await settle();
    expect(errorOn(el, 'body')).toBeNull();
    expect(byId(el, 'preview-body')?.textContent).toBe('您好 星河物业');
  });

  it('saves the subject and body and shows 已修改; a refusal lands on the field it names', async () => {
    mock.onPut('/notification-templates/bill.overdue/email').replyOnce(400, {
      error: { code: 'VALIDATION', message: '请填写邮件主题', details: [{ field: 'subject', code: 'REQUIRED', message: '请填写邮件主题' }] },
    });
    mock.onPut('/notification-templates/bill.overdue/email').reply((config) => {
      const sent = JSON.parse(String(config.data)) as { subject: string; body: string };
      return [200, template({ ...sent, is_default: false, updated_at: '2026-12-05T02:00:00Z' })];
    });
    const { el } = await mount();
    await type(el, 'subject', ' ');
    await click(byId(el, 'template-save'));
    expect(errorOn(el, 'subject')).toBe('请填写邮件主题');

    await type(el, 'subject', '逾期提醒 {{bill_no}}');
    await type(el, 'body', '已逾期 {{days_overdue}} 天');
    expect(errorOn(el, 'subject')).toBeNull();
    await click(byId(el, 'template-save'));
    expect(JSON.parse(String(mock.history.put?.at(-1)?.data))).toEqual({ subject: '逾期提醒 {{bill_no}}', body: '已逾期 {{days_overdue}} 天' });
    expect(document.body.textContent).toContain('模板已保存');
    expect(byId(el, 'template-custom')).not.toBeNull();
    expect(byId(el, 'template-dirty')).toBeNull();
    expect(byId(el, 'template-list')?.querySelector('[data-template="bill.overdue/email"]')?.textContent).toContain('已修改');
  });

  it('sends no subject for an SMS template and opens the one picked, in the URL', async () => {
    mock.onPut('/notification-templates/bill.overdue/sms').reply((config) => [200, template({ channel: 'sms', ...JSON.parse(String(config.data)), is_default: false })]);
    const { el, router } = await mount();
    await click(byId(el, 'template-list')?.querySelector('[data-template="bill.overdue/sms"]'));
    expect(router.currentRoute.value.query).toEqual({ event: 'bill.overdue', channel: 'sms' });
    expect(el.querySelector('[data-field="subject"]')).toBeNull();
    await type(el, 'body', '【短信】{{customer_name}}请付款');
    await click(byId(el, 'template-save'));
    expect(JSON.parse(String(mock.history.put?.at(-1)?.data))).toEqual({ subject: null, body: '【短信】{{customer_name}}请付款' });
  });

  it('asks before leaving unsaved changes', async () => {
    const { el, router } = await mount();
    await type(el, 'body', '改了');
    await click(byId(el, 'template-list')?.querySelector('[data-template="bill.issued/email"]'));
    expect(document.querySelector('.arco-modal')?.textContent).toContain('放弃未保存的修改？');
    expect(router.currentRoute.value.query.event).toBe('bill.overdue');
    await click(document.querySelector('.arco-modal .arco-modal-footer .arco-btn-primary'));
    expect(router.currentRoute.value.query).toEqual({ event: 'bill.issued', channel: 'email' });
    expect(control(el, 'body').value).toBe('{{customer_name}}，账单已出具。');
  });

  it('asks before leaving the page with unsaved changes, and stays when told to', async () => {
    const { el, router } = await mount();
    await type(el, 'body', '改了');
    void router.push('/notifications');
    await flush();
    expect(document.querySelector('.arco-modal')?.textContent).toContain('放弃未保存的修改？');
    await click(document.querySelector('.arco-modal .arco-modal-footer .arco-btn-secondary'));
    expect(router.currentRoute.value.path).toBe('/notification-templates');
    expect(control(el, 'body').value).toBe('改了');
    void router.push('/notifications');
    await flush();
    await click(document.querySelector('.arco-modal .arco-modal-footer .arco-btn-primary'));
    expect(router.currentRoute.value.path).toBe('/notifications');
  });

  it('restores the default after a confirmation', async () => {
    const edited = template({ body: '改过的内容', is_default: false, updated_at: '2026-12-05T02:00:00Z' });
    mock.onGet('/notification-templates').reply(200, [edited]);
    mock.onDelete('/notification-templates/bill.overdue/email').reply(200, template());
    const { el } = await mount();
    expect(control(el, 'body').value).toBe('改过的内容');
    await click(byId(el, 'template-reset'));
    expect(mock.history.delete ?? []).toHaveLength(0);
    await click(document.querySelector('.arco-modal .arco-modal-footer .arco-btn-primary'));
    expect(mock.history.delete?.map((r) => r.url)).toEqual(['/notification-templates/bill.overdue/email']);
    expect(control(el, 'body').value).toBe('尊敬的{{customer_name}}：账单已逾期。');
    expect(byId(el, 'template-custom')).toBeNull();
  });

  it('lets notifications.view read and preview, not edit', async () => {
    const { el } = await mount('/notification-templates', VIEW);
    expect(byId(el, 'templates-readonly')).not.toBeNull();
    expect(byId(el, 'template-editor')?.getAttribute('data-template')).toBe('bill.issued/email');
    expect(byId(el, 'template-save')).toBeNull();
    expect(byId(el, 'template-reset')).toBeNull();
    expect(control(el, 'body').readOnly).toBe(true);
    expect(el.querySelector<HTMLButtonElement>('[data-variable="bill_no"]')?.disabled).toBe(true);
    await settle();
    expect(byId(el, 'preview-body')?.textContent).toBe('星河物业，账单已出具。');
  });
});
