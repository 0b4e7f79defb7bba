/**
 * 数据备份: the list with size, record counts and checksum status; 立即备份 starts one and
 * follows it until it is written (or says it failed); a backup already running (409
 * BACKUP_RUNNING) is followed too; 校验 checks one again; 下载 saves it through the API
 * client; a failed backup shows in red; phones get cards; the home page's failing-jobs
 * band links a failed 数据备份 to this page for those who manage backups.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { h } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView } from 'vue-router';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { Backup, BackupList, JobView } from '@/api/types';
import i18n from '@/locale';
import { useAuthStore } from '@/store';
import { formatBytes } from '@/utils/format';
import BackupsPage from '@/views/backups/index.vue';
import FailingJobsBanner from '@/views/workplace/components/FailingJobsBanner.vue';
import { flush, mountApp } from './support/mount';
import { userFixture } from './support/users';

const NAME = 'opcms-20261206T010000Z.tar.zst';
const NEW = 'opcms-20261207T093000Z.tar.zst';

const backup = (over: Partial<Backup> = {}): Backup => ({
  name: NAME,
  size_bytes: 5_432_100,
  created_at: '2026-12-06T01:00:00Z',
  source_backend: 'sqlite',
  schema_version: 'm20261209_000017_analytics_snapshots',
  format_version: 1,
  tables: 30,
  rows: 123456,
  counts: { customers: 300, bills: 3600, payments: 3000, users: 8 },
  status: 'verified',
  verified_at: '2026-12-06T01:00:05Z',
  error: null,
  trigger: 'schedule',
  ...over,
});
const answer = (items: Backup[], over: Partial<BackupList> = {}): BackupList => ({ keep: 14, running: false, last_error: null, items, ...over });

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
});
afterEach(() => {
  mock.restore();
  vi.useRealTimers();
});

async function mount(component = BackupsPage, permissions = ['backups.manage']) {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  auth.user = userFixture({ role: 'management' });
  auth.permissions = permissions;
  const router = createRouter({
    history: createMemoryHistory(),
    routes: [
      { path: '/', component },
      { path: '/:rest(.*)*', component: { render: () => null } },
    ],
  });
  await router.push('/');
  return mountApp({ render: () => h(RouterView) }, router);
}

const byId = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
const click = async (el: Element | null | undefined) => {
  (el as HTMLElement | null)?.click();
  await flush();
};
const rowOf = (el: HTMLElement, name: string) => el.querySelector(`[data-backup="${name}"]`)?.closest('tr');

describe('数据备份 page', () => {
  it('lists each backup with its size, counts, status and trigger, and how many are kept', async () => {
    mock.onGet('/backups').reply(200, answer([backup(), backup({ name: 'opcms-20261205T010000Z.tar.zst', status: 'corrupt', error: 'bills.jsonl 校验和不符', trigger: 'manual', verified_at: null })]));
    const el = await mount();
    expect(byId(el, 'backups-page')?.textContent).toContain('保留最近 14 份');
    const row = rowOf(el, NAME);
    expect(row?.textContent).toContain('5.18 MB');
    expect(row?.querySelector('[data-count="customers"]')?.textContent).toBe('300');
    expect(row?.querySelector('[data-count="bills"]')?.textContent).toBe('3,600');
    expect(row?.textContent).toContain('30 张表，共 123,456 行');
    expect(row?.querySelector('[data-status="verified"]')?.textContent).toBe('已校验');
    expect(row?.textContent).toContain('定时');
    const bad = rowOf(el, 'opcms-20261205T010000Z.tar.zst');
    expect(bad?.querySelector('[data-status="corrupt"]')?.textContent).toBe('已损坏');
    expect(bad?.textContent).toContain('bills.jsonl 校验和不符');
    expect(bad?.textContent).toContain('手动');
    expect(byId(el, 'backups-last-error')).toBeNull();
  });

  it('shows an archive it cannot read (no manifest) as corrupt, with dashes for what is unknown', async () => {
    const unreadable = backup({
      name: 'opcms-broken.tar.zst', counts: {}, source_backend: null, schema_version: null, format_version: null,
      tables: null, rows: null, trigger: null, status: 'corrupt', error: '不是有效的备份文件', verified_at: null,
    });
    mock.onGet('/backups').reply(200, answer([unreadable]));
    const el = await mount();
    const row = rowOf(el, 'opcms-broken.tar.zst');
    expect(row?.querySelector('[data-count="customers"]')?.textContent).toBe('—');
    expect(row?.querySelector('[data-status="corrupt"]')).not.toBeNull();
    expect(row?.textContent).toContain('不是有效的备份文件');
    expect(row?.textContent).not.toContain('null');
  });

  it('shows the last failure in red', async () => {
    mock.onGet('/backups').reply(200, answer([], { last_error: { at: '2026-12-07T01:00:03Z', message: '磁盘空间不足' } }));
    const el = await mount();
    expect(byId(el, 'backups-last-error')?.textContent).toContain('磁盘空间不足');
    expect(el.textContent).toContain('还没有备份');
  });

  it('立即备份 starts one and follows the list until it is written', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let state = answer([backup()]);
    mock.onGet('/backups').reply(() => [200, state]);
    mock.onPost('/backups').reply(202, { name: NEW });
    const el = await mount();
    await click(byId(el, 'backup-start'));
    expect(mock.history.post?.map((r) => r.url)).toEqual(['/backups']);
    expect(document.body.textContent).toContain(`已开始备份「${NEW}」`);
    expect(byId(el, 'backup-start')?.textContent).toContain('正在备份');

    state = answer([backup()], { running: true });
    vi.advanceTimersByTime(2000);
    await flush();
    expect(byId(el, 'backup-start')?.textContent).toContain('正在备份');

    state = answer([backup({ name: NEW, trigger: 'manual', created_at: '2026-12-07T09:30:00Z' }), backup()]);
    vi.advanceTimersByTime(2000);
    await flush();
    expect(rowOf(el, NEW)?.querySelector('[data-status="verified"]')).not.toBeNull();
    expect(document.body.textContent).toContain(`备份「${NEW}」已完成`);
    expect(byId(el, 'backup-start')?.textContent).toContain('立即备份');
    const reads = mock.history.get?.length;
    vi.advanceTimersByTime(6000);
    await flush();
    expect(mock.history.get?.length).toBe(reads);
  });

  it('follows a backup already running (409 BACKUP_RUNNING) and reports its failure', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let state = answer([backup()]);
    mock.onGet('/backups').reply(() => [200, state]);
    mock.onPost('/backups').reply(409, { error: { code: 'BACKUP_RUNNING', message: '已有备份正在进行', details: [] } });
    const el = await mount();
    await click(byId(el, 'backup-start'));
    expect(document.body.textContent).toContain('已有备份正在进行，完成后会出现在列表中');
    state = answer([backup()], { last_error: { at: '2026-12-07T09:30:02Z', message: '磁盘空间不足' } });
    vi.advanceTimersByTime(2000);
    await flush();
    expect(document.body.textContent).toContain('备份失败：磁盘空间不足');
    expect(byId(el, 'backups-last-error')?.textContent).toContain('磁盘空间不足');
  });

  it('校验 checks a backup again and shows the new status', async () => {
    mock.onGet('/backups').reply(200, answer([backup({ status: 'unknown', verified_at: null })]));
    mock.onPost(`/backups/${NAME}/verify`).reply(200, backup({ status: 'corrupt', error: 'payments.jsonl 校验和不符' }));
    const el = await mount();
    expect(rowOf(el, NAME)?.querySelector('[data-status="unknown"]')?.textContent).toBe('未校验');
    await click(byId(el, `verify-${NAME}`));
    expect(rowOf(el, NAME)?.querySelector('[data-status="corrupt"]')).not.toBeNull();
    expect(document.body.textContent).toContain('payments.jsonl 校验和不符');
  });

  it('下载 fetches the archive through the API client and saves it under its name', async () => {
    mock.onGet('/backups').reply(200, answer([backup()]));
    mock.onGet(`/backups/${NAME}/download`).reply(200, new Blob(['zstd']), { 'content-disposition': `attachment; filename="${NAME}"` });
    const saved: string[] = [];
    URL.createObjectURL = vi.fn(() => 'blob:backup');
    URL.revokeObjectURL = vi.fn();
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      saved.push(this.download);
    });
    const el = await mount();
    await click(byId(el, `download-${NAME}`));
    expect(mock.history.get?.find((r) => r.url === `/backups/${NAME}/download`)?.responseType).toBe('blob');
    expect(saved).toEqual([NAME]);
  });

  it('shows cards instead of the table on a phone', async () => {
    vi.spyOn(window, 'matchMedia').mockImplementation(
      (query: string) => ({ matches: true, media: query, addEventListener: () => undefined, removeEventListener: () => undefined }) as unknown as MediaQueryList,
    );
    mock.onGet('/backups').reply(200, answer([backup()]));
    const el = await mount();
    expect(byId(el, 'backups-table')).toBeNull();
    const card = byId(el, 'backup-card');
    expect(card?.getAttribute('data-backup')).toBe(NAME);
    expect(card?.querySelector('[data-status="verified"]')).not.toBeNull();
    expect(byId(el, `download-${NAME}`)).not.toBeNull();
  });

  it('writes sizes for people', () => {
    expect([0, 1023, 1024, 5_432_100, 12_345_678_901].map(formatBytes)).toEqual(['0 B', '1023 B', '1.00 KB', '5.18 MB', '11.5 GB']);
  });
});

describe('the failing-jobs band and 数据备份', () => {
  const job = (name: string, title: string): JobView => ({
    name, title, description: '', cadence: 'daily', schedule: '0 1 * * *', schedule_text: '每天 01:00', timezone: 'Asia/Shanghai',
    paused: false, next_run_at: null, latest_period: '2026-12-07', last_run: null, failing: true,
  });

  it('links a failed backup to its page for management, and only the jobs page for others', async () => {
    mock.onGet('/jobs').reply(200, [job('backup.daily', '数据备份')]);
    const el = await mount(FailingJobsBanner, ['jobs.view', 'backups.manage']);
    expect(byId(el, 'failing-jobs-banner')?.textContent).toContain('数据备份');
    expect(byId(el, 'failing-backup-link')?.getAttribute('href')).toBe('/backups');
    expect(byId(el, 'failing-jobs-link')?.getAttribute('href')).toBe('/jobs');
    const ops = await mount(FailingJobsBanner, ['jobs.view']);
    expect(byId(ops, 'failing-backup-link')).toBeNull();
    expect(byId(ops, 'failing-jobs-link')).not.toBeNull();
  });
});
