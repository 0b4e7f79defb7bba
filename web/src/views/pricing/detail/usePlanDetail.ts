import { computed, ref, shallowRef } from 'vue';
import { deletePricePlan, diffPlanVersions, getPricePlan, listPlanVersions, rollbackPlan } from '@/api/pricing';
import type { PlanDiff, PlanVersion, PlanVersionCreated, RollbackInput } from '@/api/types';
import { useRecord } from '@/hooks/useRecord';
import { quoteErrorText } from '../useQuote';

/**
 * One plan: its current pricing, every version (newest first), the diff between any two
 * versions, rollback and delete. Load errors other than 404 are the server's message.
 */
export function usePlanDetail(planId: number) {
  const versions = shallowRef<PlanVersion[]>([]);
  const diffFrom = ref<number | null>(null);
  const diffTo = ref<number | null>(null);
  const diff = shallowRef<PlanDiff | null>(null);
  const diffLoading = ref(false);
  const diffError = ref<string | null>(null);

  const state = useRecord(async () => {
    const [current, list] = await Promise.all([getPricePlan(planId, { silent: true }), listPlanVersions(planId)]);
    versions.value = list;
    // Default comparison: the latest version against the one before it.
    if (current.current_version > 1) {
      diffTo.value = current.current_version;
      diffFrom.value = current.current_version - 1;
      await loadDiff();
    } else {
      diff.value = null;
    }
    return current;
  }, quoteErrorText);
  const plan = state.record;
  const load = state.load;

  async function loadDiff() {
    if (diffFrom.value === null || diffTo.value === null) return;
    diffLoading.value = true;
    diffError.value = null;
    try {
      diff.value = await diffPlanVersions(planId, diffFrom.value, diffTo.value, { silent: true });
    } catch (failure) {
      diff.value = null;
      diffError.value = quoteErrorText(failure);
    } finally {
      diffLoading.value = false;
    }
  }

  /** Compare `version` with the latest one. */
  async function compare(from: number, to = plan.value?.current_version ?? from) {
    diffFrom.value = from;
    diffTo.value = to;
    await loadDiff();
  }

  /** A new version equal to `body.version`; reloads everything after. */
  async function rollback(body: RollbackInput): Promise<PlanVersionCreated> {
    const created = await rollbackPlan(planId, body, { silent: true });
    await load();
    return created;
  }

  /** 409 PLAN_IN_USE is shown by the client (not silent); rejects then. */
  async function remove(): Promise<void> {
    await deletePricePlan(planId);
  }

  return {
    record: plan,
    plan,
    versions,
    loading: state.loading,
    missing: state.missing,
    error: state.error,
    diffFrom,
    diffTo,
    diff,
    diffLoading,
    diffError,
    versionNumbers: computed(() => versions.value.map((v) => v.version)),
    load,
    loadDiff,
    compare,
    rollback,
    remove,
  };
}

export type PlanDetail = ReturnType<typeof usePlanDetail>;
