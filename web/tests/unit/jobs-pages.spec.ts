/**
 * 定时任务 against the contract (docs/api/jobs.md), the HTTP client answered by a mock:
 * what the page shows of each job, who may pause and run one, the history drawer, the
 * 立即执行 dialog (its period, the server's refusals, 强制重跑 after 409
 * ALREADY_SUCCEEDED) and following the run until it finishes.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import type { JobRunView, JobView } from '@/api/types';
import i18n from '@/locale';
import JobsPage from '@/views/jobs/index.vue';
import { formatDateTimeIn } from '@/utils/format';
import { countLabel, laterThanLatest } from '@/views/jobs/data';
import { flush, mountPage } from './support/mount';

const MANAGE = ['jobs.view', 'settings.manage', 'users.manage'];
const OPERATIONS = ['jobs.view', 'usage.view', 'billing.view'];

const run = (over: Partial<JobRunView> = {}): JobRunView => ({
  id: 41, job: 'usage.collect', period_key: '2026-12-04', status: 'succeeded', attempt: 1, trigger: 'schedule', holder: 'opcms-a',
  started_at: '2026-12-05T02:00:00+08:00', finished_at: '2026-12-05T02:00:04+08:00', next_attempt_at: null,
  counts: { sources: 2, inserted: 12, changed: 3, mystery_key: 7 }, error: null, ...over,
});

const collect = (over: Partial<JobView> = {}): JobView => ({
  name: 'usage.collect', title: '用量采集', description: '从所有已配置的用量来源采集前一天的用量', cadence: 'daily', schedule: '0 2 * * *',
  schedule_text: '每天 02:00', timezone: 'Asia/Shanghai', paused: false, next_run_at: '2026-12-06T02:00:00+08:00', latest_period: '2026-12-04',
  last_run: run(), failing: false, ...over,
});
const generate = (over: Partial<JobView> = {}): JobView => ({
  name: 'bills.generate', title: '账单生成', description: '生成上月账单草稿', cadence: 'monthly', schedule: '0 3 1 * *', schedule_text: '每月 1 日 03:00',
  timezone: 'Asia/Shanghai', paused: false, next_run_at: '2027-01-01T03:00:00+08:00', latest_period: '2026-11',
  last_run: run({ id: 30, job: 'bills.generate', period_key: '2026-11', status: 'failed', attempt: 4, counts: { customers: 10, drafts: 8 }, error: '定价方案缺失：客户 C000009' }),
  failing: true, ...over,
});
const receivables = (over: Partial<JobView> = {}): JobView => ({
  name: 'receivables.daily', title: '应收与账号状态', description: '检查逾期账单', cadence: 'daily', schedule: '0 8 * * *', schedule_text: '每天 08:00',
  timezone: 'Asia/Shanghai', paused: true, next_run_at: null, latest_period: '2026-12-05', last_run: null, failing: false, ...over,
});

const envelope = (status: number, code: string, message: string, field?: string) =>
  [status, { error: { code, message, details: field ? [{ field, code, message }] : [] } }] as [number, unknown];

let mock: MockAdapter;
beforeEach(() => {
  mock = new MockAdapter(http);
  i18n.global.locale.value = 'zh-CN';
  mock.onGet('/jobs').reply(200, [collect(), generate(), receivables()]);
});
afterEach(() => {
  mock.restore();
  vi.useRealTimers();
});

const mount = (permissions = MANAGE) => mountPage('/jobs', JobsPage, permissions);

const byId = (root: ParentNode, id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
async function click(el: Element | null | undefined) {
  (el as HTMLElement | null)?.click();
  await flush();
}
const modal = () => byId(document, 'run-job-modal');
const ok = () => click(modal()?.querySelector('.arco-modal-footer .arco-btn-primary'));
const posts = () => mock.history.post ?? [];
const body = (i = -1) => JSON.parse(String(posts().at(i)?.data)) as Record<string, unknown>;
const jobReads = () => mock.history.get?.filter((r) => r.url === '/jobs').length ?? 0;

describe('定时任务', () => {
  it('shows each job: title and name, schedule in words and cron, state, last run with its counts, next run, failing', async () => {
    const el = await mount();
    expect(byId(el, 'jobs-table')).not.toBeNull();
    expect(byId(el, 'job-usage.collect')?.textContent).toContain('用量采集');
    expect(byId(el, 'job-usage.collect')?.textContent).toContain('usage.collect');
    expect(byId(el, 'schedule-usage.collect')?.textContent).toContain('每天 02:00');
    expect(byId(el, 'schedule-usage.collect')?.textContent).toContain('0 2 * * *');
    expect(byId(el, 'jobs-timezone')?.textContent).toContain('Asia/Shanghai');

    const last = byId(el, 'last-run-usage.collect');
    expect(last?.getAttribute('data-status')).toBe('succeeded');
    expect(last?.querySelector('[data-status="succeeded"]')?.textContent).toBe('成功');
    expect(last?.textContent).toContain('2026-12-04');
    expect(last?.querySelector('[data-count="inserted"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('新增 12');
    // A key the page does not know is shown as the server named it.
    expect(last?.querySelector('[data-count="mystery_key"]')?.textContent?.replace(/\s+/g, ' ').trim()).toBe('mystery_key 7');

    const failed = byId(el, 'last-run-bills.generate');
    expect(failed?.querySelector('[data-status="failed"]')?.textContent).toBe('失败');
    expect(failed?.textContent).toContain('第 4 次');
    expect(byId(el, 'last-run-error')?.textContent).toBe('定价方案缺失：客户 C000009');
    expect(byId(el, 'failing-bills.generate')?.textContent).toBe('执行失败');
    expect(byId(el, 'failing-usage.collect')).toBeNull();

    expect(byId(el, 'last-run-receivables.daily')?.textContent).toContain('尚未执行');
    expect(byId(el, 'paused-receivables.daily')?.textContent).toBe('已暂停');
    expect(byId(el, 'paused-usage.collect')).toBeNull();
    expect(byId(el, 'next-run-receivables.daily')?.textContent).toContain('已暂停，不会自动执行');
    // Times in the schedule's zone, whatever the browser's.
    expect(byId(el, 'next-run-usage.collect')?.textContent).toBe('2026-12-06 02:00:00');
    expect(last?.textContent).toContain('2026-12-05 02:00:04');
  });

  it('shows operations the jobs and their history, but no switch and no 立即执行', async () => {
    const el = await mount(OPERATIONS);
    expect(byId(el, 'history-usage.collect')).not.toBeNull();
    expect(byId(el, 'run-usage.collect')).toBeNull();
    expect(byId(el, 'pause-usage.collect')).toBeNull();
    expect(byId(el, 'paused-receivables.daily')).not.toBeNull();
  });

  it('pauses a job through PATCH and turns the switch once the server has answered', async () => {
    mock.onPatch('/jobs/usage.collect').reply(200, collect({ paused: true, next_run_at: null }));
    const el = await mount();
    const toggle = byId(el, 'pause-usage.collect');
    expect(toggle?.getAttribute('data-paused')).toBe('false');
    await click(toggle);
    expect(mock.history.patch?.map((r) => [r.url, JSON.parse(String(r.data))])).toEqual([['/jobs/usage.collect', { paused: true }]]);
    expect(byId(el, 'paused-usage.collect')?.textContent).toBe('已暂停');
    expect(byId(el, 'pause-usage.collect')?.getAttribute('data-paused')).toBe('true');

    mock.onPatch('/jobs/receivables.daily').reply(...envelope(403, 'FORBIDDEN', '无权执行此操作'));
    await click(byId(el, 'pause-receivables.daily'));
    expect(mock.history.patch?.at(-1)?.data).toBe(JSON.stringify({ paused: false }));
    expect(byId(el, 'paused-receivables.daily')).not.toBeNull();
  });

  it('lists a job’s runs in the 历史 drawer, paged by the server, errors in full', async () => {
    const long = `供应商接口返回 HTTP 503：${'服务暂不可用；'.repeat(20)}`;
    mock.onGet('/jobs/usage.collect/runs').reply(200, {
      items: [
        run({ id: 44, period_key: '2026-12-05', status: 'running', trigger: 'manual', finished_at: null, counts: {} }),
        run({ id: 43, period_key: '2026-12-03', status: 'failed', attempt: 2, trigger: 'retry', error: long, next_attempt_at: '2026-12-05T02:30:00+08:00' }),
        run({ id: 42, period_key: '2026-12-02', trigger: 'catch_up' }),
      ],
      total: 45, page: 1, page_size: 20,
    });
    const el = await mount();
    await click(byId(el, 'history-usage.collect'));
    const drawer = byId(document, 'job-runs-drawer');
    expect(drawer?.getAttribute('data-job')).toBe('usage.collect');
    expect(mock.history.get?.find((r) => r.url === '/jobs/usage.collect/runs')?.params).toEqual({ page: 1, page_size: 20 });
    const table = drawer?.querySelector('[data-testid="job-runs"]');
    expect([...(table?.querySelectorAll('[data-status]') ?? [])].map((t) => t.textContent)).toEqual(['运行中', '失败', '成功']);
    expect(table?.textContent).toContain('手动');
    expect(table?.textContent).toContain('重试');
    expect(table?.textContent).toContain('补跑');
    expect(table?.querySelector('[data-testid="run-error"]')?.textContent).toBe(long);
    expect(table?.textContent).toContain('将于');
    expect(drawer?.querySelector('.arco-pagination')).not.toBeNull();
  });

  it('立即执行: the latest period by default; 409 ALREADY_SUCCEEDED offers 强制重跑, which sends force; then follows the run until it is done', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let attempt = 0;
    mock.onPost('/jobs/usage.collect/run').reply(() => {
      attempt += 1;
      return attempt === 1
        ? envelope(409, 'ALREADY_SUCCEEDED', '用量采集 2026-12-04 已执行成功；如需重跑请勾选强制重跑')
        : [202, run({ id: 41, status: 'running', trigger: 'manual', attempt: 2, finished_at: null, counts: {} })];
    });
    let status: JobRunView['status'] = 'running';
    mock.onGet('/jobs/usage.collect/runs').reply(() => [200, { items: [run({ id: 41, status, trigger: 'manual', attempt: 2 })], total: 1, page: 1, page_size: 200 }]);
    const el = await mount();
    await click(byId(el, 'run-usage.collect'));
    expect(modal()?.querySelector<HTMLInputElement>('[data-field="period_key"] input')?.value).toBe('2026-12-04');
    expect(byId(document, 'force-rerun')).toBeNull();

    await ok();
    expect(body()).toEqual({ period_key: '2026-12-04' });
    expect(byId(document, 'run-job-error')?.textContent).toContain('已执行成功');
    const force = byId(document, 'force-rerun');
    expect(force).not.toBeNull();
    await click(force?.querySelector('input'));
    await ok();
    expect(body()).toEqual({ period_key: '2026-12-04', force: true });
    await flush();
    expect(modal()).toBeNull();
    expect(byId(el, 'running-usage.collect')).not.toBeNull();
    expect(byId(el, 'run-usage.collect')?.hasAttribute('disabled')).toBe(true);

    const reads = jobReads();
    vi.advanceTimersByTime(2000);
    await flush();
    const polls = mock.history.get?.filter((r) => r.url === '/jobs/usage.collect/runs') ?? [];
    expect(polls).toHaveLength(1);
    expect(polls[0]?.params).toEqual({ page: 1, page_size: 200 });
    expect(byId(el, 'running-usage.collect')).not.toBeNull();
    expect(jobReads()).toBe(reads);

    status = 'succeeded';
    vi.advanceTimersByTime(2000);
    await flush();
    expect(byId(el, 'running-usage.collect')).toBeNull();
    expect(jobReads()).toBe(reads + 1);
    expect(document.body.textContent).toContain('「用量采集」2026-12-04 执行成功');
    // Done: no more looks.
    vi.advanceTimersByTime(6000);
    await flush();
    expect(mock.history.get?.filter((r) => r.url === '/jobs/usage.collect/runs')).toHaveLength(2);
  });

  it('立即执行: a period refused on period_key is shown under the picker; a run in progress above the form, without 强制重跑', async () => {
    mock.onPost('/jobs/bills.generate/run').replyOnce(...envelope(400, 'FUTURE_PERIOD', '期间不能晚于 2026-11', 'period_key'));
    mock.onPost('/jobs/bills.generate/run').replyOnce(...envelope(409, 'JOB_RUNNING', '账单生成 2026-11 正在执行中'));
    const el = await mount();
    await click(byId(el, 'run-bills.generate'));
    // A monthly job picks a month, the latest by default.
    expect(modal()?.querySelector<HTMLInputElement>('[data-field="period_key"] input')?.value).toBe('2026-11');
    expect(modal()?.textContent).toContain('执行月份');
    await ok();
    expect(body()).toEqual({ period_key: '2026-11' });
    expect(modal()?.querySelector('[data-error-for="period_key"]')?.textContent).toContain('期间不能晚于 2026-11');
    await ok();
    expect(byId(document, 'run-job-error')?.textContent).toContain('账单生成 2026-11 正在执行中');
    expect(byId(document, 'force-rerun')).toBeNull();
    expect(modal()).not.toBeNull();
  });

  it('shows cards instead of the table on a phone', async () => {
    vi.spyOn(window, 'matchMedia').mockImplementation(
      (query: string) => ({ matches: true, media: query, addEventListener: () => undefined, removeEventListener: () => undefined }) as unknown as MediaQueryList,
    );
    const el = await mount();
    expect(byId(el, 'jobs-table')).toBeNull();
    const cards = [...el.querySelectorAll('[data-testid="job-card"]')].map((c) => c.getAttribute('data-job'));
    expect(cards).toEqual(['usage.collect', 'bills.generate', 'receivables.daily']);
    expect(byId(el, 'run-bills.generate')).not.toBeNull();
    expect(byId(el, 'last-run-bills.generate')?.getAttribute('data-status')).toBe('failed');
  });

  it('says why the jobs could not be read', async () => {
    mock.onGet('/jobs').reply(...envelope(500, 'INTERNAL', '服务器内部错误'));
    const el = await mount();
    expect(byId(el, 'jobs-error')?.textContent).toContain('服务器内部错误');
  });
});

describe('jobs helpers', () => {
  it('bounds the picker by the latest period, by day or by month', () => {
    const daily = laterThanLatest({ cadence: 'daily', latest_period: '2026-12-04' });
    expect(daily(new Date(2026, 11, 4))).toBe(false);
    expect(daily(new Date(2026, 11, 5))).toBe(true);
    const monthly = laterThanLatest({ cadence: 'monthly', latest_period: '2026-11' });
    expect(monthly(new Date(2026, 10, 30))).toBe(false);
    expect(monthly(new Date(2026, 11, 1))).toBe(true);
  });

  it('writes a time in the job’s zone', () => {
    expect(formatDateTimeIn('2026-12-05T18:30:00Z', 'Asia/Shanghai')).toBe('2026-12-06 02:30:00');
    expect(formatDateTimeIn('2026-12-05T18:30:00Z', 'Europe/London')).toBe('2026-12-05 18:30:00');
    expect(formatDateTimeIn(null, 'Asia/Shanghai')).toBe('—');
  });

  it('labels the counts in Chinese and keeps unknown keys', () => {
    expect(['quarantined', 'to_suspended', 'job_runs', 'failed_sources'].map(countLabel)).toEqual(['异常', '转暂停', '任务记录', '失败来源']);
    expect(countLabel('new_thing')).toBe('new_thing');
  });
});
