import { ref, shallowRef, watch, type Ref, type ShallowRef, type WatchSource } from 'vue';
import { useRoute } from 'vue-router';
import { isApiError } from '@/api/http';

/**
 * A page's answer that follows its URL (经营看板's month, 用量趋势's filters): fetched
 * again whenever `key` changes, but only while this page is the one shown (the query of
 * the next page is not ours). Only the last request counts — a slower earlier answer
 * never overwrites it — and a refusal is kept in the server's words.
 */
export function useRouteAnswer<T>(key: WatchSource<string>, fetch: () => Promise<T>) {
  const route = useRoute();
  const routeName = route.name;
  const answer: ShallowRef<T | null> = shallowRef(null);
  const loading = ref(false);
  const error: Ref<string | null> = ref(null);
  let latest = 0;

  async function load() {
    const ticket = ++latest;
    loading.value = true;
    error.value = null;
    try {
      const next = await fetch();
      if (ticket === latest) answer.value = next;
    } catch (failure) {
      if (ticket === latest) error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      if (ticket === latest) loading.value = false;
    }
  }

  watch(key, () => route.name === routeName && void load(), { immediate: true });

  return { answer, loading, error, load };
}
