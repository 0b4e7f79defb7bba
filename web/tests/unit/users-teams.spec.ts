/**
 * 销售团队 and 数据范围 on the users page: the rules the dialog follows (the scope a role
 * brings, what is sent on create and edit), the dialog's team and scope fields and the
 * server's errors on them, the table's team and scope, and the teams drawer (create,
 * rename, delete after a confirmation that says the members stay).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { h, nextTick, ref } from 'vue';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { Paginated, Team, User } from '@/api/types';
import i18n from '@/locale';
import UsersPage from '@/views/users/index.vue';
import UserFormModal from '@/views/users/components/UserFormModal.vue';
import { formModel, newUserBody, scopeForRole, teamName, teamNameValid, userChanges } from '@/views/users/form';
import { flush, mountPage } from './support/mount';
import { userFixture } from './support/users';

const MANAGE = ['users.manage'];
const EAST: Team = { id: 3, name: '华东一组', members: 2 };
const NORTH: Team = { id: 4, name: '华北组', members: 0 };
const lead = userFixture({ id: 5, username: 'li.lead', display_name: '李组长', team_id: 3, data_scope: 'team' });
const page = (items: User[]): Paginated<User> => ({ items, total: items.length, page: 1, page_size: 20 });

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => {
  mock.restore();
  vi.restoreAllMocks();
  document.querySelectorAll('.arco-modal-container, .arco-drawer-container, .arco-trigger-popup').forEach((n) => n.remove());
});

const byId = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
async function click(el: Element | null | undefined) {
  if (!el) throw new Error('nothing to click');
  (el as HTMLElement).click();
  await flush();
}
/** Opens the select of `field` and picks the option reading `label`. */
async function pick(root: ParentNode, field: string, label: string) {
  await click(root.querySelector(`.arco-select-view[data-field="${field}"], [data-field="${field}"] .arco-select-view`));
  await click([...document.querySelectorAll('.arco-select-option')].find((o) => o.textContent?.trim() === label));
}
const fieldItem = (root: ParentNode, field: string) => root.querySelector(`[data-field="${field}"]`)?.closest('.arco-form-item');
const fieldError = (root: ParentNode, field: string) => fieldItem(root, field)?.querySelector('.arco-form-item-message')?.textContent?.trim() ?? null;
const fieldExtra = (root: ParentNode, field: string) => fieldItem(root, field)?.querySelector('.arco-form-item-extra')?.textContent?.trim() ?? null;
const selected = (root: ParentNode, field: string) =>
  root.querySelector(`.arco-select-view[data-field="${field}"], [data-field="${field}"] .arco-select-view`)?.querySelector('.arco-select-view-value')?.textContent?.trim() ?? '';
const confirmOk = () => click(document.querySelector('.arco-modal .arco-modal-footer .arco-btn-primary'));

describe('数据范围 rules', () => {
  it('gives a changed role its default scope, and the opened scope back at the opened role', () => {
    const opened = { role: 'sales' as const, scope: 'team' as const };
    expect(scopeForRole('operations', opened)).toBe('all');
    expect(scopeForRole('management', opened)).toBe('all');
    expect(scopeForRole('sales', opened)).toBe('team');
    expect(scopeForRole('sales', { role: '', scope: '' })).toBe('own');
    expect(scopeForRole('', opened)).toBe('');
  });

  it('creates with the team when one is chosen, and the scope only when it is not the role’s default', () => {
    const model = { ...formModel(null), username: ' li.lead ', display_name: '李组长', role: 'sales' as const, password: 'Start-2026a' };
    expect(newUserBody({ ...model, data_scope: 'own' })).toEqual({
      username: 'li.lead', display_name: '李组长', role: 'sales', password: 'Start-2026a', email: null, phone: null,
    });
    expect(newUserBody({ ...model, team_id: 3, data_scope: 'team' })).toMatchObject({ team_id: 3, data_scope: 'team' });
    expect(newUserBody({ ...model, role: 'management', data_scope: 'all' })).not.toHaveProperty('data_scope');
    expect(newUserBody({ ...model, role: 'operations', data_scope: 'own' })).toMatchObject({ data_scope: 'own' });
  });

  it('edits the team and scope only when they changed, and takes the user out of the team with null', () => {
    expect(userChanges(lead, formModel(lead))).toEqual({});
    expect(userChanges(lead, { ...formModel(lead), team_id: '' })).toEqual({ team_id: null });
    expect(userChanges(lead, { ...formModel(lead), team_id: 4, data_scope: 'own' })).toEqual({ team_id: 4, data_scope: 'own' });
    expect(userChanges(userFixture(), { ...formModel(userFixture()), team_id: 3 })).toEqual({ team_id: 3 });
  });

  it('checks a team name as the server does: 1–32 characters once trimmed', () => {
    expect(teamNameValid('  ')).toBe(false);
    expect(teamNameValid(' 华东一组 ')).toBe(true);
    expect(teamNameValid('组'.repeat(32))).toBe(true);
    expect(teamNameValid('组'.repeat(33))).toBe(false);
  });

  it('names a team by id, none as null and one not in the list by its id', () => {
    expect(teamName([EAST, NORTH], 4)).toBe('华北组');
    expect(teamName([EAST], null)).toBeNull();
    expect(teamName([EAST], 9)).toBe('#9');
  });
});

/** The user dialog as the users page opens it, with the teams to choose from. */
async function openDialog(editing: User | null) {
  const visible = ref(false);
  const props = () => ({ visible: visible.value, 'onUpdate:visible': (v: boolean) => (visible.value = v), user: editing, teams: [EAST, NORTH] });
  await mountPage('/users', { render: () => h(UserFormModal, props()) }, MANAGE);
  visible.value = true;
  await nextTick();
  await flush();
  return document.querySelector<HTMLElement>('[data-testid="user-modal"]')!;
}
async function type(root: ParentNode, field: string, value: string) {
  const el = root.querySelector<HTMLInputElement>(`[data-field="${field}"] input, input[data-field="${field}"]`)!;
  el.value = value;
  el.dispatchEvent(new Event('input', { bubbles: true }));
  await flush();
}
const save = () => click(document.querySelector('.arco-modal-footer .arco-btn-primary'));

describe('用户 · 所属团队与数据范围', () => {
  it('creates a team lead: the role brings its default scope, then 本团队客户 in a team is sent', async () => {
    mock.onPost('/users').reply((config) => [201, userFixture(JSON.parse(String(config.data)) as Partial<User>)]);
    const modal = await openDialog(null);
    await type(modal, 'username', 'li.lead');
    await type(modal, 'display_name', '李组长');
    await type(modal, 'password', 'Start-2026a');
    // No role yet: no scope to show.
    expect(selected(modal, 'data_scope')).toBe('');
    await click(modal.querySelectorAll('[data-field="role"] input[type="radio"]')[1]);
    expect(selected(modal, 'data_scope')).toBe('本人客户');
    expect(fieldExtra(modal, 'data_scope')).toBe('只看自己作为销售负责人的客户');
    await pick(modal, 'data_scope', '本团队客户');
    // A team scope without a team is only the user's own: said before saving.
    expect(fieldExtra(modal, 'data_scope')).toContain('尚未选择所属团队');
    await pick(modal, 'team_id', '华东一组');
    expect(fieldExtra(modal, 'data_scope')).toBe('看所在团队全体成员负责的客户（适合团队负责人）；未加入团队时只看本人客户');
    await save();
    expect(JSON.parse(String(mock.history.post?.[0]?.data))).toEqual({
      username: 'li.lead', display_name: '李组长', role: 'sales', password: 'Start-2026a', email: null, phone: null, team_id: 3, data_scope: 'team',
    });
  });

  it('shows the user’s team and scope, and sends a new role’s default scope with it', async () => {
    mock.onPatch('/users/5').reply((config) => [200, { ...lead, ...(JSON.parse(String(config.data)) as Partial<User>) }]);
    const modal = await openDialog(lead);
    expect(selected(modal, 'team_id')).toBe('华东一组');
    expect(selected(modal, 'data_scope')).toBe('本团队客户');
    await click(modal.querySelectorAll('[data-field="role"] input[type="radio"]')[0]);
    expect(selected(modal, 'data_scope')).toBe('全部客户');
    await save();
    expect(JSON.parse(String(mock.history.patch?.[0]?.data))).toEqual({ role: 'operations', data_scope: 'all' });
  });

  it('puts the server’s team_id and data_scope errors on their fields', async () => {
    mock.onPatch('/users/5').reply(400, {
      error: {
        code: 'VALIDATION_FAILED',
        message: '所选团队不存在',
        details: [
          { field: 'team_id', code: 'UNKNOWN_TEAM', message: '所选团队不存在' },
          { field: 'data_scope', code: 'INVALID_SCOPE', message: '数据范围须为 own（本人）、team（本团队）或 all（全部）' },
        ],
      },
    });
    const modal = await openDialog(lead);
    await pick(modal, 'team_id', '华北组');
    await save();
    expect(JSON.parse(String(mock.history.patch?.[0]?.data))).toEqual({ team_id: 4 });
    expect(fieldError(modal, 'team_id')).toBe('所选团队不存在');
    expect(fieldError(modal, 'data_scope')).toBe('数据范围须为 own（本人）、team（本团队）或 all（全部）');
  });
});

describe('用户列表 · 销售团队', () => {
  beforeEach(() => {
    mock.onGet('/users').reply(200, page([lead, userFixture({ id: 6, username: 'wang', display_name: '王运营', role: 'operations' })]));
  });
  const teamReads = () => mock.history.get?.filter((r) => r.url === '/teams') ?? [];
  const userReads = () => mock.history.get?.filter((r) => r.url === '/users') ?? [];

  it('shows each user’s team by name and scope in words', async () => {
    mock.onGet('/teams').reply(200, [EAST, NORTH]);
    const el = await mountPage('/users', UsersPage, MANAGE);
    const rows = el.querySelectorAll('[data-testid="users-table"] tbody tr');
    expect(rows[0]?.querySelector('[data-team-id="3"]')?.textContent).toBe('华东一组');
    expect(rows[0]?.querySelector('[data-status="team"]')?.textContent).toBe('本团队客户');
    expect(rows[1]?.querySelector('[data-team-id]')).toBeNull();
    expect(rows[1]?.querySelector('[data-status="all"]')?.textContent).toBe('全部客户');
  });

  it('shows the team on a phone’s cards', async () => {
    vi.spyOn(window, 'matchMedia').mockImplementation(
      (query: string) => ({ matches: true, media: query, addEventListener: () => undefined, removeEventListener: () => undefined }) as unknown as MediaQueryList,
    );
    mock.onGet('/teams').reply(200, [EAST]);
    const el = await mountPage('/users', UsersPage, MANAGE);
    const cards = el.querySelectorAll('[data-testid="user-card-team"]');
    expect(cards[0]?.textContent?.trim()).toBe('所属团队：华东一组');
    expect(cards[1]?.textContent?.trim()).toBe('所属团队：无团队');
  });

  it('creates a team, its name checked first and a taken one refused on the field', async () => {
    mock.onGet('/teams').reply(200, [EAST]);
    mock.onPost('/teams').replyOnce(409, { error: { code: 'TEAM_NAME_TAKEN', message: '已有同名团队', details: [] } });
    mock.onPost('/teams').reply(201, NORTH);
    const el = await mountPage('/users', UsersPage, MANAGE);
    await click(byId(el, 'open-teams'));
    const drawer = byId(document, 'teams-drawer')!;
    expect(drawer.querySelector('[data-team="华东一组"]')?.textContent).toContain('2 名成员');
    await click(byId(drawer, 'create-team'));
    const modal = byId(document, 'team-modal')!;
    await confirmOk();
    expect(modal.querySelector('[data-error-for="name"]')?.textContent).toContain('团队名称须为 1–32 个字符');
    expect(mock.history.post ?? []).toHaveLength(0);

    await type(modal, 'name', ' 华东一组 ');
    await confirmOk();
    expect(JSON.parse(String(mock.history.post?.[0]?.data))).toEqual({ name: '华东一组' });
    expect(modal.querySelector('[data-error-for="name"]')?.textContent).toContain('已有同名团队');

    await type(modal, 'name', '华北组');
    const reads = teamReads().length;
    await confirmOk();
    expect(document.body.textContent).toContain('团队「华北组」已创建');
    expect(teamReads().length).toBe(reads + 1);
  });

  it('renames a team with a PATCH of its name', async () => {
    mock.onGet('/teams').reply(200, [EAST]);
    mock.onPatch('/teams/3').reply(200, { ...EAST, name: '华东销售一组' });
    const el = await mountPage('/users', UsersPage, MANAGE);
    await click(byId(el, 'open-teams'));
    await click(byId(document, 'rename-team-3'));
    const modal = byId(document, 'team-modal')!;
    expect(modal.querySelector<HTMLInputElement>('[data-field="name"] input, input[data-field="name"]')?.value).toBe('华东一组');
    await type(modal, 'name', '华东销售一组');
    await confirmOk();
    expect(mock.history.patch?.map((r) => [r.url, JSON.parse(String(r.data))])).toEqual([['/teams/3', { name: '华东销售一组' }]]);
  });

  it('deletes a team after saying its members stay without a team, then reads teams and users again', async () => {
    mock.onGet('/teams').reply(200, [EAST]);
    mock.onDelete('/teams/3').reply(204);
    const el = await mountPage('/users', UsersPage, MANAGE);
    await click(byId(el, 'open-teams'));
    const [teams, users] = [teamReads().length, userReads().length];
    await click(byId(document, 'delete-team-3'));
    const confirm = [...document.querySelectorAll('.arco-modal')].find((m) => m.textContent?.includes('删除团队「华东一组」？'));
    expect(confirm?.textContent).toContain('团队的 2 名成员仍保留，只是不再属于任何团队');
    expect(mock.history.delete ?? []).toHaveLength(0);
    await click(confirm?.querySelector('.arco-modal-footer .arco-btn-status-danger, .arco-modal-footer .arco-btn-primary'));
    expect(mock.history.delete?.map((r) => r.url)).toEqual(['/teams/3']);
    expect(teamReads().length).toBe(teams + 1);
    expect(userReads().length).toBe(users + 1);
  });
});
