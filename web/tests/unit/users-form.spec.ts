/**
 * The user dialog's e-mail and phone (where the staff digests go): checked as the server
 * reads them, sent on create (empty as null), on edit only when changed (cleared as "",
 * which the server takes as "none"), and the server's field errors on the fields.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { h, nextTick, ref } from 'vue';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { User } from '@/api/types';
import i18n from '@/locale';
import UserFormModal from '@/views/users/components/UserFormModal.vue';
import { flush, mountPage } from './support/mount';
import { userFixture } from './support/users';

const user = (over: Partial<User> = {}): User => userFixture({ id: 5, username: 'li.sales', display_name: '李销售', email: 'li@example.com', ...over });

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => {
  mock.restore();
  document.querySelectorAll('.arco-modal-container').forEach((n) => n.remove());
});

/** The dialog as the users page opens it: mounted closed, then shown. */
async function open(editing: User | null) {
  const visible = ref(false);
  const props = () => ({ visible: visible.value, 'onUpdate:visible': (v: boolean) => (visible.value = v), user: editing, teams: [] });
  await mountPage('/users', { render: () => h(UserFormModal, props()) }, ['users.manage']);
  visible.value = true;
  await nextTick();
  await flush();
  return document.querySelector<HTMLElement>('[data-testid="user-modal"]')!;
}
const input = (root: ParentNode, field: string) => root.querySelector<HTMLInputElement>(`[data-field="${field}"] input, input[data-field="${field}"]`)!;
async function type(root: ParentNode, field: string, value: string) {
  const el = input(root, field);
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await flush();
}
async function ok() {
  document.querySelector<HTMLElement>('.arco-modal-footer .arco-btn-primary')?.click();
  await flush(8);
}
const fieldError = (root: ParentNode, field: string) =>
  input(root, field).closest('.arco-form-item')?.querySelector('.arco-form-item-message')?.textContent?.trim() ?? null;

describe('用户 · 邮箱与手机', () => {
  it('creates with the addresses trimmed, and an empty one as null', async () => {
    mock.onPost('/users').reply((config) => [201, user(JSON.parse(String(config.data)) as Partial<User>)]);
    const modal = await open(null);
    await type(modal, 'username', 'wang.ops');
    await type(modal, 'display_name', '王运营');
    modal.querySelectorAll<HTMLInputElement>('[data-field="role"] input[type="radio"]')[0]?.click();
    await type(modal, 'password', 'Start-2026a');
    await type(modal, 'email', ' wang@example.com ');
    await ok();
    expect(JSON.parse(String(mock.history.post?.[0]?.data))).toEqual({
      username: 'wang.ops', display_name: '王运营', role: 'operations', password: 'Start-2026a', email: 'wang@example.com', phone: null,
    });
  });

  it('refuses an address the server would not read, before sending', async () => {
    const modal = await open(null);
    await type(modal, 'email', 'not-an-email');
    await type(modal, 'phone', '12345');
    await ok();
    expect(fieldError(modal, 'email')).toBe('邮箱格式不正确');
    expect(fieldError(modal, 'phone')).toBe('手机号格式不正确');
    expect(mock.history.post ?? []).toHaveLength(0);
  });

  it('edits only what changed: a new phone, and a cleared e-mail as ""', async () => {
    mock.onPatch('/users/5').reply((config) => [200, user(JSON.parse(String(config.data)) as Partial<User>)]);
    const modal = await open(user());
    expect(input(modal, 'email').value).toBe('li@example.com');
    await type(modal, 'email', '');
    await type(modal, 'phone', '13812345678');
    await ok();
    expect(mock.history.patch?.map((r) => [r.url, JSON.parse(String(r.data))])).toEqual([['/users/5', { email: '', phone: '13812345678' }]]);
  });

  it('puts the server’s field error on the field it names', async () => {
    mock.onPatch('/users/5').reply(400, {
      error: { code: 'VALIDATION', message: '手机号格式不正确', details: [{ field: 'phone', code: 'INVALID_PHONE', message: '手机号格式不正确' }] },
    });
    const modal = await open(user());
    await type(modal, 'phone', '010-12345678');
    await ok();
    expect(JSON.parse(String(mock.history.patch?.[0]?.data))).toEqual({ phone: '010-12345678' });
    expect(fieldError(modal, 'phone')).toBe('手机号格式不正确');
  });
});
