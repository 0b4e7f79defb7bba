import { computed, type Ref } from 'vue';
import type { CountItem } from './components/CountCards.vue';

/** What count cards need of a list (`useListQuery`'s): the counts it answered with, and its filter `F`. */
export interface CountedList<F extends string, K extends string> {
  answer: Readonly<Ref<{ counts: Record<K, number> } | null>>;
  appliedFilters: Readonly<Ref<Record<F, string>>>;
  applyFilters(patch: Partial<Record<F, string>>): unknown;
}

/**
 * Counts that filter a list by one of its filters (客户分层's tiers, 流失预警's risks): one
 * card per key with the list's count of it (0 before the answer), the applied one active,
 * and a pick applies it. CountCards' props and `pick` listener, to bind at once.
 */
export function useCountFilter<F extends string, K extends string>(
  list: CountedList<F, K>,
  filter: F,
  keys: readonly K[],
  describe: (key: K) => Omit<CountItem, 'key' | 'count'>,
) {
  return computed(() => ({
    items: keys.map((key): CountItem => ({ key, count: list.answer.value?.counts[key] ?? 0, ...describe(key) })),
    active: list.appliedFilters.value[filter] ?? '',
    onPick: (key: string) => list.applyFilters({ [filter]: key } as Partial<Record<F, string>>),
  }));
}
