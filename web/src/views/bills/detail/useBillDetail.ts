import { computed, ref, shallowRef } from 'vue';
import { getBill } from '@/api/bills';
import { isApiError } from '@/api/http';
import type { Bill } from '@/api/types';
import { creditBlocker, issueBlocker, voidBlocker } from '@/utils/bill-rules';
import { billRuleMessage } from '../messages';

/**
 * One bill and what may be done to it now (status.rs): each action's blocker in the
 * server's words, or null. A bill outside the caller's scope is a 404: the page shows
 * the 404 page. `refreshKey` is bumped after every change so the history reloads.
 */
export function useBillDetail(id: number) {
  const bill = shallowRef<Bill | null>(null);
  const loading = ref(false);
  const missing = ref(false);
  const error = ref<string | null>(null);
  const refreshKey = ref(0);

  async function load() {
    loading.value = true;
    error.value = null;
    try {
      bill.value = await getBill(id, { silent: true });
    } catch (failure) {
      if (isApiError(failure) && failure.status === 404) missing.value = true;
      else error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
  }

  /** After an action: the bill as it is now, and its history. */
  async function changed() {
    refreshKey.value += 1;
    await load();
  }

  const blocker = (check: typeof issueBlocker) =>
    computed(() => {
      const problem = bill.value ? check(bill.value) : null;
      return problem ? billRuleMessage(problem) : null;
    });

  return {
    bill,
    loading,
    missing,
    error,
    refreshKey,
    load,
    changed,
    issueBlocker: blocker(issueBlocker),
    voidBlocker: blocker(voidBlocker),
    creditBlocker: blocker(creditBlocker),
  };
}
