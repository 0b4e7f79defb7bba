import { computed, reactive, ref, shallowRef } from 'vue';
import { isApiError } from '@/api/http';
import { lastPeriod } from '@/utils/bill-rules';
import { createPlanVersion, createPricePlan, getPricePlan } from '@/api/pricing';
import type { DeviceSeries, PricePlan, PricingWarning } from '@/api/types';
import {
  SERIES_ORDER,
    emptyPlanForm,
  minimumOrNull,
  planRules,
  ruleToDraft,
  validatePlanForm,
  type PlanFormMode,
} from '@/utils/pricing-rules';
import { usePathErrors } from '../usePathErrors';

const TOP_FIELDS = new Set(['name', 'effective_from', 'minimum_charge', 'reason']);
const RULE_PATH = /^rules\.([XNL])(?:\.(mode|unit_price|tiers)|\.tiers\[(\d+)\]\.(up_to|unit_price))?$/;

export type SubmitOutcome =
  | { ok: true; planId: number; version: number; warnings: PricingWarning[] }
  | { ok: false; reason: 'invalid' | 'conflict' | 'rejected'; message?: string };

/**
 * The plan editor: a new plan (version 1), or a new version of `planId` starting from
 * its current prices. Client checks mirror the server's; a refused save puts the
 * server's messages on the cells they name.
 */
export function usePlanEditor(planId: number | null) {
  const mode: PlanFormMode = planId === null ? 'create' : 'version';
  // The month being billed (last month in business time), not the current one: a plan
  // set up during month-close is for the bills about to be generated.
  const form = reactive(emptyPlanForm(lastPeriod()));
  const usages = reactive<Record<DeviceSeries, string>>({ X: '', N: '', L: '' });
  const plan = shallowRef<PricePlan | null>(null);
  const loading = ref(false);
  const saving = ref(false);
  const missing = ref(false);
  const loadError = ref<string | null>(null);

  const placeable = (path: string) => {
    if (TOP_FIELDS.has(path)) return mode === 'create' || path !== 'name';
    const m = RULE_PATH.exec(path);
    if (!m) return false;
    if (m[3] === undefined) return true;
    return Number(m[3]) < form.rules[m[1] as DeviceSeries].tiers.length;
  };
  const errors = usePathErrors(form, () => validatePlanForm(form, mode), placeable);

  /** Version mode: start from the current version's minimum and rules. */
  async function load() {
    if (planId === null) return;
    loading.value = true;
    missing.value = false;
    loadError.value = null;
    try {
      const current = await getPricePlan(planId, { silent: true });
      plan.value = current;
      form.name = current.name;
      form.minimum_charge = current.minimum_charge ?? '';
      form.reason = '';
      // A plan whose current version starts later: a new version for an earlier month would govern nothing.
      const billed = lastPeriod();
      form.effective_from = current.effective_from > billed ? current.effective_from : billed;
      for (const series of SERIES_ORDER) form.rules[series] = ruleToDraft(current.rules[series]);
      errors.reset();
    } catch (error) {
      if (isApiError(error) && error.status === 404) missing.value = true;
      else loadError.value = isApiError(error) ? error.message : String(error);
    } finally {
      loading.value = false;
    }
  }

  async function submit(): Promise<SubmitOutcome> {
    if (!errors.validate()) return { ok: false, reason: 'invalid' };
    saving.value = true;
    try {
      const rules = planRules(form);
      const minimum_charge = minimumOrNull(form.minimum_charge);
      const reason = form.reason.trim();
      if (planId === null) {
        const created = await createPricePlan(
          { name: form.name.trim(), effective_from: form.effective_from, minimum_charge, rules, reason: reason || null },
          { silent: true },
        );
        return { ok: true, planId: created.id, version: created.current_version, warnings: created.warnings };
      }
      const body = { effective_from: form.effective_from, minimum_charge, rules, reason, base_version: plan.value?.current_version };
      const created = await createPlanVersion(planId, body, { silent: true });
      return { ok: true, planId, version: created.version, warnings: created.warnings };
    } catch (error) {
      if (!isApiError(error)) throw error;
      if (error.code === 'VERSION_CONFLICT') return { ok: false, reason: 'conflict', message: error.message };
      errors.setServerErrors(error);
      return { ok: false, reason: 'rejected', message: error.message };
    } finally {
      saving.value = false;
    }
  }

  return {
    mode,
    form,
    usages,
    plan,
    loading,
    saving,
    missing,
    loadError,
    errors: errors.errors,
    unplaced: errors.unplaced,
    /** The version a saved new version will get. */
    nextVersion: computed(() => (plan.value ? plan.value.current_version + 1 : 1)),
    load,
    submit,
  };
}

export type PlanEditor = ReturnType<typeof usePlanEditor>;
