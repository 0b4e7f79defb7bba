import { beforeEach, describe, expect, it, vi } from 'vitest';
import MockAdapter from 'axios-mock-adapter';
import type { AxiosRequestConfig } from 'axios';
import { ApiError, createHttpClient, type HttpHooks } from '@/api/http';

const UNAUTHORIZED = { error: { code: 'UNAUTHORIZED', message: '登录已失效' } };

/** A fake session: the token changes from `old` to `new` when refreshed. */
function setup(options: { refreshFails?: boolean } = {}) {
  let token: string | null = 'old';
  let releaseRefresh: () => void = () => undefined;
  const hooks = {
    getAccessToken: vi.fn(() => token),
    refresh: vi.fn(
      () =>
        new Promise<void>((resolve, reject) => {
          // Held open until the test releases it, so requests pile up meanwhile.
          releaseRefresh = () => {
            if (options.refreshFails) {
              token = null;
              reject(new ApiError(401, 'INVALID_REFRESH_TOKEN', '刷新令牌无效'));
            } else {
              token = 'new';
              resolve();
            }
          };
        }),
    ),
    onSessionExpired: vi.fn(),
    onPasswordChangeRequired: vi.fn(),
    notify: vi.fn(),
  } satisfies HttpHooks;
  const http = createHttpClient(() => hooks);
  const mock = new MockAdapter(http);
  const seen: (string | undefined)[] = [];
  const authorized = (config: AxiosRequestConfig): [number, unknown] => {
    const header = config.headers?.Authorization as string | undefined;
    seen.push(header);
    return header === 'Bearer new' ? [200, { url: config.url }] : [401, UNAUTHORIZED];
  };
  return { http, mock, hooks, seen, authorized, release: () => releaseRefresh() };
}

/** Let pending promise callbacks run. */
const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('http client', () => {
  beforeEach(() => {
    localStorage.clear();
  });

  it('sends the access token as a Bearer header under /api/v1', async () => {
    const { http, mock } = setup();
    mock.onGet('/users').reply((config) => [200, { auth: config.headers?.Authorization, base: config.baseURL }]);
    const { data } = await http.get('/users');
    expect(data).toEqual({ auth: 'Bearer old', base: '/api/v1' });
  });

  it('refreshes once for concurrent 401s, queues new requests, then retries them all', async () => {
    const { http, mock, hooks, seen, authorized, release } = setup();
    mock.onGet(/\/r\d/).reply(authorized);

    const first = [http.get('/r1'), http.get('/r2'), http.get('/r3')];
    await flush();
    expect(hooks.refresh).toHaveBeenCalledTimes(1);

    // Sent while the refresh is running: must wait for it instead of going out with `old`.
    const late = http.get('/r4');
    await flush();
    expect(seen.filter((h) => h === 'Bearer old')).toHaveLength(3);

    release();
    const answers = await Promise.all([...first, late]);
    expect(answers.map((a) => a.data.url)).toEqual(['/r1', '/r2', '/r3', '/r4']);
    expect(hooks.refresh).toHaveBeenCalledTimes(1);
    expect(seen.filter((h) => h === 'Bearer new')).toHaveLength(4);
    expect(hooks.notify).not.toHaveBeenCalled();
    expect(hooks.onSessionExpired).not.toHaveBeenCalled();
  });

  it('retries a request only once', async () => {
    const { http, mock, hooks, release } = setup();
    mock.onGet('/always-401').reply(401, UNAUTHORIZED);
    const pending = http.get('/always-401');
    await flush();
    release();
    await expect(pending).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(hooks.refresh).toHaveBeenCalledTimes(1);
  });

  it('ends the session once when the refresh fails, rejecting every waiting request quietly', async () => {
    const { http, mock, hooks, authorized, release } = setup({ refreshFails: true });
    mock.onGet(/\/r\d/).reply(authorized);

    const pending = [http.get('/r1'), http.get('/r2')];
    await flush();
    const late = http.get('/r3');
    release();

    const results = await Promise.allSettled([...pending, late]);
    for (const result of results) {
      expect(result.status).toBe('rejected');
      expect((result as PromiseRejectedResult).reason).toMatchObject({ code: 'SESSION_EXPIRED' });
    }
    expect(hooks.refresh).toHaveBeenCalledTimes(1);
    expect(hooks.onSessionExpired).toHaveBeenCalledTimes(1);
    expect(hooks.notify).not.toHaveBeenCalled();
  });

  it('never refreshes for auth calls such as login', async () => {
    const { http, mock, hooks } = setup();
    mock.onPost('/auth/login').reply(401, { error: { code: 'INVALID_CREDENTIALS', message: '用户名或密码错误' } });
    await expect(http.post('/auth/login', {}, { skipAuthRefresh: true })).rejects.toMatchObject({
      code: 'INVALID_CREDENTIALS',
      message: '用户名或密码错误',
    });
    expect(hooks.refresh).not.toHaveBeenCalled();
    expect(hooks.notify).toHaveBeenCalledWith('用户名或密码错误');
  });

  it('shows the envelope message once, unless the caller opts out', async () => {
    const { http, mock, hooks } = setup();
    const body = {
      error: {
        code: 'VALIDATION_FAILED',
        message: '请求参数有误',
        details: [{ field: 'new_password', code: 'PASSWORD_TOO_WEAK', message: '密码至少 8 位，且须同时包含字母和数字' }],
      },
    };
    mock.onPost('/auth/password').reply(400, body);

    const error = await http.post('/auth/password', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).fieldMessage('new_password')).toBe('密码至少 8 位，且须同时包含字母和数字');
    expect(hooks.notify).toHaveBeenCalledTimes(1);
    expect(hooks.notify).toHaveBeenCalledWith('请求参数有误');

    await http.post('/auth/password', {}, { silent: true }).catch(() => undefined);
    expect(hooks.notify).toHaveBeenCalledTimes(1);
  });

  it('passes the server message of a 429 through', async () => {
    const { http, mock } = setup();
    mock.onPost('/auth/login').reply(429, {
      error: { code: 'TOO_MANY_LOGIN_ATTEMPTS', message: '登录失败次数过多，请 5 分钟后再试' },
    });
    await expect(http.post('/auth/login', {}, { skipAuthRefresh: true, silent: true })).rejects.toMatchObject({
      status: 429,
      message: '登录失败次数过多，请 5 分钟后再试',
    });
  });

  it('reports PASSWORD_CHANGE_REQUIRED to the app', async () => {
    const { http, mock, hooks } = setup();
    mock.onGet('/users').reply(403, { error: { code: 'PASSWORD_CHANGE_REQUIRED', message: '请先修改密码' } });
    await http.get('/users').catch(() => undefined);
    expect(hooks.onPasswordChangeRequired).toHaveBeenCalledTimes(1);
  });

  it('gives a readable message when there is no envelope or no answer', async () => {
    const { http, mock } = setup();
    mock.onGet('/html').reply(502, '<html>Bad gateway</html>');
    mock.onGet('/down').networkError();
    await expect(http.get('/html', { silent: true })).rejects.toMatchObject({ status: 502, code: 'HTTP_ERROR' });
    await expect(http.get('/down', { silent: true })).rejects.toMatchObject({ status: 0, code: 'NETWORK_ERROR' });
  });
});
