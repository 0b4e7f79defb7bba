/**
 * What the analytics pages share: the customer card list behind 流失预警's, 信用评分's and
 * 客户分层's phone lists (a card per customer linking to it, `data-customer` and the
 * list's own bits), the count cards that filter a list, and a page's answer that follows
 * its URL (only the last request counts, a refusal in the server's words, nothing asked
 * for once another page is shown).
 */
import { describe, expect, it, vi } from 'vitest';
import { computed, defineComponent, h, ref } from 'vue';
import { createMemoryHistory, createRouter, useRoute } from 'vue-router';
import { ApiError } from '@/api/http';
import type { ChurnRow, CreditScoreRow, SegmentRow } from '@/api/types';
import i18n from '@/locale';
import ChurnCardList from '@/views/analytics/churn/components/ChurnCardList.vue';
import CreditCardList from '@/views/analytics/credit/components/CreditCardList.vue';
import SegmentCardList from '@/views/analytics/segments/components/SegmentCardList.vue';
import { useCountFilter } from '@/views/analytics/useCountFilter';
import { useRouteAnswer } from '@/views/analytics/useRouteAnswer';
import { flush, mountApp, mountRoutedPage } from './support/mount';

const churnRow: ChurnRow = {
  customer_id: 9, customer_code: 'C000009', company_name: '乙公寓', account_status: 'active', sales_owner: { id: 3, display_name: '李四' },
  risk: 'high', flags: [{ code: 'idle', evidence: '最近 15 天没有用量（上次用量 2026-11-18）' }],
};
const creditRow: CreditScoreRow = {
  customer_id: 7, customer_code: 'C000007', company_name: '甲物业', as_of: '2026-12-06', score: 78, grade: '良',
  factors: { on_time: '0.7500', late_days: '12.5000', overdue_ratio: '0.2500', tenure_months: 18 }, window_bills: 8,
};
const segmentRow: SegmentRow = {
  customer_id: 7, customer_code: 'C000007', company_name: '甲物业', revenue_12m: '14000.00', value_tier: 'A', trend: '增长', growth: '0.1250',
};

async function cards(render: () => ReturnType<typeof h>) {
  i18n.global.locale.value = 'zh-CN';
  const { el } = await mountRoutedPage('/list', { render }, []);
  return el;
}

describe('the customer card lists', () => {
  it('流失预警: a card per customer with its risk, status, owner and flags, linking to the customer', async () => {
    const el = await cards(() => h(ChurnCardList, { items: [churnRow], loading: false }));
    const card = el.querySelector('[data-testid="churn-card"]');
    expect(card?.getAttribute('data-customer')).toBe('C000009');
    expect(card?.getAttribute('data-risk')).toBe('high');
    expect(card?.getAttribute('href')).toBe('/customers/9');
    expect(card?.querySelector('.card-head .card-title')?.textContent).toBe('乙公寓');
    expect(card?.querySelector('.card-head')?.textContent).toContain('高风险');
    const meta = card?.querySelector('.card-meta');
    expect(meta?.querySelector('.mono')?.textContent).toBe('C000009');
    expect(meta?.textContent).toContain('李四');
    expect(card?.querySelector('.flags [data-flag="idle"]')?.textContent).toContain('最近 15 天没有用量');
  });

  it('信用评分: the score and grade beside the name, the factors below, linking to the 信用评分 tab', async () => {
    const el = await cards(() => h(CreditCardList, { items: [creditRow], loading: false }));
    const card = el.querySelector('[data-testid="credit-card"]');
    expect(card?.getAttribute('data-customer')).toBe('C000007');
    expect(card?.hasAttribute('data-risk')).toBe(false);
    expect(card?.getAttribute('href')).toBe('/customers/7?tab=credit');
    expect(card?.querySelector('.card-head .score strong')?.textContent).toBe('78');
    expect(card?.querySelector('.card-head [data-grade]')?.textContent?.trim()).toBe('良');
    expect([...(card?.querySelectorAll('[data-factor]') ?? [])].map((f) => f.textContent)).toEqual(['75.0%', '12.5 天', '0.25 倍', '18 个月']);
  });

  it('客户分层: the tier beside the name, the revenue and trend below, linking to the bills tab', async () => {
    const el = await cards(() => h(SegmentCardList, { items: [segmentRow], loading: false }));
    const card = el.querySelector('[data-testid="segment-card"]');
    expect(card?.getAttribute('href')).toBe('/customers/7?tab=bills');
    expect(card?.querySelector('.card-head [data-tier="A"]')).not.toBeNull();
    expect(card?.querySelector('.card-line [data-amount="revenue_12m"]')?.getAttribute('data-value')).toBe('14000.00');
    expect(card?.querySelector('.card-line')?.textContent).toContain('+12.5%');
  });

  it('says so when there is nothing to show', async () => {
    const el = await cards(() => h(SegmentCardList, { items: [], loading: false }));
    expect(el.querySelector('[data-testid="segment-card"]')).toBeNull();
    expect(el.querySelector('.arco-empty')?.textContent).toContain(i18n.global.t('analytics.segments.empty'));
  });
});

describe('useCountFilter', () => {
  it('counts each key (0 before an answer), marks the applied one and applies a pick', () => {
    const answer = ref<{ counts: Record<'A' | 'B', number> } | null>(null);
    const appliedFilters = ref<Record<'tier' | 'q', string>>({ tier: 'B', q: '' });
    const applyFilters = vi.fn();
    const counts = useCountFilter({ answer, appliedFilters, applyFilters }, 'tier', ['A', 'B'] as const, (key) => ({
      label: `tier ${key}`,
      tone: key === 'A' ? 'primary' : undefined,
    }));
    expect(counts.value.items.map((i) => [i.key, i.count, i.label, i.tone])).toEqual([['A', 0, 'tier A', 'primary'], ['B', 0, 'tier B', undefined]]);
    expect(counts.value.active).toBe('B');
    answer.value = { counts: { A: 3, B: 5 } };
    appliedFilters.value = { tier: '', q: 'x' };
    expect(counts.value.items.map((i) => i.count)).toEqual([3, 5]);
    expect(counts.value.active).toBe('');
    counts.value.onPick('A');
    expect(applyFilters).toHaveBeenCalledWith({ tier: 'A' });
  });
});

describe('useRouteAnswer', () => {
  function deferred<T>() {
    let resolve!: (value: T) => void;
    let reject!: (reason: unknown) => void;
    const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
    return { promise, resolve, reject };
  }

  it('keeps only the last answer, a refusal in the server’s words, and asks nothing once another page is shown', async () => {
    const asked: { key: string; reply: ReturnType<typeof deferred<string>> }[] = [];
    let state: ReturnType<typeof useRouteAnswer<string>> | null = null;
    const Probe = defineComponent({
      setup() {
        const route = useRoute();
        const key = computed(() => String(route.query.k ?? ''));
        state = useRouteAnswer(key, () => {
          const reply = deferred<string>();
          asked.push({ key: key.value, reply });
          return reply.promise;
        });
        return () => null;
      },
    });
    // The probe stays mounted while the URL moves on to another page, as a page leaving does.
    const router = createRouter({
      history: createMemoryHistory(),
      routes: [
        { path: '/p', name: 'p', component: { render: () => null } },
        { path: '/elsewhere', name: 'elsewhere', component: { render: () => null } },
      ],
    });
    await router.push('/p?k=1');
    await mountApp(Probe, router);
    expect(asked.map((a) => a.key)).toEqual(['1']);
    expect(state!.loading.value).toBe(true);

    await router.push('/p?k=2');
    await flush();
    asked[1]!.reply.resolve('two');
    await flush();
    asked[0]!.reply.resolve('one');
    await flush();
    expect(state!.answer.value).toBe('two');
    expect(state!.loading.value).toBe(false);

    await router.push('/p?k=3');
    await flush();
    asked[2]!.reply.reject(new ApiError(400, 'VALIDATION_FAILED', '月份不能晚于本月'));
    await flush();
    expect(state!.error.value).toBe('月份不能晚于本月');
    expect(state!.answer.value).toBe('two');

    await router.push('/elsewhere?k=4');
    await flush();
    expect(asked.map((a) => a.key)).toEqual(['1', '2', '3']);
  });
});
