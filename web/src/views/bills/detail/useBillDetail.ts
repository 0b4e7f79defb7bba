import { computed } from 'vue';
import { getBill } from '@/api/bills';
import { useRecord } from '@/hooks/useRecord';
import { creditBlocker, issueBlocker, voidBlocker } from '@/utils/bill-rules';
import { billRuleMessage } from '../messages';

/**
 * One bill and what may be done to it now (status.rs): each action's blocker in the
 * server's words, or null. A bill outside the caller's scope is a 404: the page shows
 * the 404 page. `refreshKey` is bumped after every change so the history reloads.
 */
export function useBillDetail(id: number) {
  const state = useRecord(() => getBill(id, { silent: true }));
  const bill = state.record;

  const blocker = (check: typeof issueBlocker) =>
    computed(() => {
      const problem = bill.value ? check(bill.value) : null;
      return problem ? billRuleMessage(problem) : null;
    });

  return {
    ...state,
    bill,
    issueBlocker: blocker(issueBlocker),
    voidBlocker: blocker(voidBlocker),
    creditBlocker: blocker(creditBlocker),
  };
}
