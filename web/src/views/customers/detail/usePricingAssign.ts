import { reactive, ref, shallowRef } from 'vue';
import { isApiError } from '@/api/http';
import { getPricePlan, listPricePlans } from '@/api/pricing';
import type { CustomerPricing, CustomerPricingInput, DeviceSeries, PricePlan, PricePlanSummary, SeriesRuleOverrides } from '@/api/types';
import { SERIES_ORDER, draftToRule, emptyDraft, ruleToDraft, validateRule, type RuleDraft, type RuleError } from '@/utils/pricing-rules';
import { usePathErrors } from '@/views/pricing/usePathErrors';

export interface AssignModel {
  plan_id: number | null;
  /** Which series get a customer price. */
  enabled: Record<DeviceSeries, boolean>;
  /** Kept for every series, so unticking and ticking again loses nothing. */
  overrides: Record<DeviceSeries, RuleDraft>;
}

const PLAN_REQUIRED: RuleError = { field: 'plan_id', code: 'REQUIRED', key: 'planRequired', message: '请选择定价方案' };
const PLACEABLE = /^(plan_id|overrides\.[XNL](\.(mode|unit_price|tiers)|\.tiers\[\d+\]\.(up_to|unit_price))?)$/;

/** The assign / change dialog of a customer's pricing: the plan and per-series overrides. */
export function usePricingAssign(save: (body: CustomerPricingInput) => Promise<CustomerPricing>) {
  const model = reactive<AssignModel>({
    plan_id: null,
    enabled: { X: false, N: false, L: false },
    overrides: { X: emptyDraft(), N: emptyDraft(), L: emptyDraft() },
  });
  const plans = shallowRef<PricePlanSummary[]>([]);
  const message = ref<string | null>(null);
  const planCache = new Map<number, PricePlan>();

  const check = () => {
    const errors: RuleError[] = model.plan_id === null ? [PLAN_REQUIRED] : [];
    for (const s of SERIES_ORDER) if (model.enabled[s]) errors.push(...validateRule(model.overrides[s], `overrides.${s}`));
    return errors;
  };
  const errors = usePathErrors(model, check, (path) => PLACEABLE.test(path));

  /** Fill the dialog from the customer's current pricing and load the plans to choose from. */
  async function open(current: CustomerPricing | null) {
    errors.reset();
    message.value = null;
    model.plan_id = current?.plan?.id ?? null;
    for (const s of SERIES_ORDER) {
      const own = current?.overrides[s];
      model.enabled[s] = own !== undefined;
      model.overrides[s] = own ? ruleToDraft(own) : emptyDraft();
    }
    try {
      plans.value = (await listPricePlans({ page: 1, page_size: 200 })).items;
    } catch {
      // The client has shown the message; the picker stays empty.
    }
  }

  /** Ticking a series starts its customer price from the chosen plan's rule. */
  async function toggle(series: DeviceSeries, on: boolean) {
    model.enabled[series] = on;
    const untouched = JSON.stringify(draftToRule(model.overrides[series])) === JSON.stringify(draftToRule(emptyDraft()));
    if (!on || model.plan_id === null || !untouched) return;
    try {
      const plan = planCache.get(model.plan_id) ?? (await getPricePlan(model.plan_id));
      planCache.set(plan.id, plan);
      model.overrides[series] = ruleToDraft(plan.rules[series]);
    } catch {
      // Shown by the client; the user fills the rule in by hand.
    }
  }

  /** True when saved; false when the form or the server found problems (shown on the fields). */
  async function submit(): Promise<boolean> {
    if (!errors.validate() || model.plan_id === null) return false;
    const overrides: SeriesRuleOverrides = {};
    for (const s of SERIES_ORDER) if (model.enabled[s]) overrides[s] = draftToRule(model.overrides[s]);
    message.value = null;
    try {
      await save({ plan_id: model.plan_id, overrides });
      return true;
    } catch (error) {
      if (!isApiError(error)) throw error;
      errors.setServerErrors(error);
      message.value = error.message;
      return false;
    }
  }

  return { model, plans, message, errors: errors.errors, unplaced: errors.unplaced, open, toggle, submit };
}
