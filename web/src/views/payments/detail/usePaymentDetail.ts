import { computed, ref, shallowRef } from 'vue';
import { getPayment } from '@/api/payments';
import type { Allocation } from '@/api/types';
import { useRecord } from '@/hooks/useRecord';
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
  const state = useRecord(() => getPayment(id, { silent: true }));
  const payment = state.record;
  /** The allocation the 撤销核销 dialog is open for. */
  const reversing = shallowRef<Allocation | null>(null);
  const reverseOpen = ref(false);

  function reverse(allocation: Allocation) {
    reversing.value = allocation;
    reverseOpen.value = true;
  }

  const blocker = computed(() => {
    const problem = payment.value ? editBlocker(payment.value) : null;
    return problem ? paymentRuleMessage(problem) : null;
  });
  const hasMoneyLeft = computed(() => !!payment.value && compareDecimal(payment.value.unapplied, '0') > 0);

  return { ...state, payment, reversing, reverseOpen, reverse, editBlocker: blocker, hasMoneyLeft };
}
