import { ref, shallowRef, type Ref, type ShallowRef } from 'vue';
import { isApiError } from '@/api/http';

/**
 * One record a page is about (a bill, a payment, a plan…), fetched silently: a 404 (gone,
 * or outside the caller's data scope) sets `missing` so the page shows the 404 page; any
 * other failure is `error`, in the server's words (or `describe`'s). `changed()` after an
 * action reloads it and bumps `refreshKey`, so its history reloads too.
 */
export function useRecord<T>(fetch: () => Promise<T>, describe: (failure: unknown) => string = defaultText) {
  const record: ShallowRef<T | null> = shallowRef(null);
  const loading = ref(false);
  const missing = ref(false);
  const error: Ref<string | null> = ref(null);
  const refreshKey = ref(0);

  async function load() {
    loading.value = true;
    missing.value = false;
    error.value = null;
    try {
      record.value = await fetch();
    } catch (failure) {
      if (isApiError(failure) && failure.status === 404) missing.value = true;
      else error.value = describe(failure);
    } finally {
      loading.value = false;
    }
  }

  /** After an action: the record as it is now, and its history. */
  async function changed() {
    refreshKey.value += 1;
    await load();
  }

  return { record, loading, missing, error, refreshKey, load, changed };
}

const defaultText = (failure: unknown) => (isApiError(failure) ? failure.message : String(failure));
