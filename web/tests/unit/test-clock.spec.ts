/**
 * The test clock's banner: shown on every page while the server answers `GET
 * /system/clock` (OPCMS_TEST_CLOCK on), with the clock's time and business day, read
 * again when the page changes; absent when the server answers 404.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { h, type Component } from 'vue';
import { createMemoryHistory, createRouter } from 'vue-router';
import MockAdapter from 'axios-mock-adapter';
import { http } from '@/api/http';
import TestClockBannerView from '@/layout/components/TestClockBanner.vue';
import i18n from '@/locale';
import { flush, mountApp } from './support/mount';

const TestClockBanner = TestClockBannerView as unknown as Component;


describe('TestClockBanner', () => {
  let mock: MockAdapter;
  beforeEach(() => {
    mock = new MockAdapter(http);
    i18n.global.locale.value = 'zh-CN';
  });
  afterEach(() => mock.restore());

  async function render() {
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [{ path: '/:rest(.*)*', component: { render: () => null } }],
    });
    await router.push('/');
    const el = await mountApp({ render: () => h(TestClockBanner) }, router);
    return { el, router };
  }

  it('warns in red while the server runs on a test clock, and follows it page by page', async () => {
    let now = '2026-03-01T02:00:05.120+08:00';
    mock.onGet('/system/clock').reply(() => [200, { now, today: now.slice(0, 10), period: now.slice(0, 7), test_clock: true }]);
    const { el, router } = await render();
    const banner = el.querySelector('[data-testid="test-clock-banner"]');
    expect(banner?.classList.contains('arco-alert-error')).toBe(true);
    expect(banner?.textContent).toContain('测试时钟已启用：系统时间为 2026-03-01 02:00，业务日期 2026-03-01。仅供演示与验收，切勿用于生产。');
    now = '2028-02-29T01:00:00+08:00';
    await router.push('/bills');
    await flush();
    expect(el.querySelector('[data-testid="test-clock-banner"]')?.textContent).toContain('系统时间为 2028-02-29 01:00，业务日期 2028-02-29');
  });

  it('shows nothing on a server with the real clock', async () => {
    mock.onGet('/system/clock').reply(404, { error: { code: 'NOT_FOUND', message: '接口不存在', details: [] } });
    const { el } = await render();
    expect(el.querySelector('[data-testid="test-clock-banner"]')).toBeNull();
    expect(mock.history.get?.length).toBe(1);
  });
});
