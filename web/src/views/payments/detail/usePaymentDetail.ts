import { computed, ref, shallowRef } from 'vue';
import { getPayment } from '@/api/payments';
import { isApiError } from '@/api/http';
import type { Allocation, Payment } from '@/api/types';
import { compareDecimal } from '@/utils/decimal';
import { editBlocker } from '@/utils/payment-rules';
import { paymentRuleMessage } from '../messages';

/**
 * One payment and what may be done to it now: edited or deleted only while nothing is
 * allocated (the server's words otherwise), allocated while money is left. A payment
 * outside the caller's scope is a 404: the page shows the 404 page. `refreshKey` is
 * bumped after every change so the history reloads.
 */
export function usePaymentDetail(id: number) {
  const payment = shallowRef<Payment | null>(null);
  const loading = ref(false);
  const missing = ref(false);
  const error = ref<string | null>(null);
  const refreshKey = ref(0);
  /** The allocation the 撤销核销 dialog is open for. */
  const reversing = shallowRef<Allocation | null>(null);
  const reverseOpen = ref(false);

  async function load() {
    loading.value = true;
    error.value = null;
    try {
      payment.value = await getPayment(id, { silent: true });
    } catch (failure) {
      if (isApiError(failure) && failure.status === 404) missing.value = true;
      else error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
  }

  /** After an action: the payment as it is now, and its history. */
  async function changed() {
    refreshKey.value += 1;
    await load();
  }

  function reverse(allocation: Allocation) {
    reversing.value = allocation;
    reverseOpen.value = true;
  }

  const blocker = computed(() => {
    const problem = payment.value ? editBlocker(payment.value) : null;
    return problem ? paymentRuleMessage(problem) : null;
  });
  const hasMoneyLeft = computed(() => !!payment.value && compareDecimal(payment.value.unapplied, '0') > 0);

  return { payment, loading, missing, error, refreshKey, reversing, reverseOpen, load, changed, reverse, editBlocker: blocker, hasMoneyLeft };
}
