import { reactive, ref, shallowRef, watch } from 'vue';
import { isApiError } from '@/api/http';
import { getCustomerPricing, quoteBill, removeCustomerPricing, setCustomerPricing } from '@/api/pricing';
import type { BillQuote, CustomerPricing, CustomerPricingInput, DeviceSeries } from '@/api/types';
import { checkUsage, currentPeriod } from '@/utils/pricing-rules';
import { ruleMessage } from '@/views/pricing/usePathErrors';
import { quoteErrorText, usageMap } from '@/views/pricing/useQuote';

/**
 * A customer's pricing for a chosen month: the plan, the version in force, overrides and
 * the effective rule per series; assigning, removing, and a quote with the customer's
 * own rules. Errors are the server's words (422 NO_PRICE_PLAN, PLAN_NOT_IN_FORCE…).
 */
export function useCustomerPricing(customerId: () => number) {
  const period = ref(currentPeriod());
  const view = shallowRef<CustomerPricing | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const usages = reactive<Record<DeviceSeries, string>>({ X: '', N: '', L: '' });
  const quote = shallowRef<BillQuote | null>(null);
  const quoteError = ref<string | null>(null);
  const quoting = ref(false);

  async function load() {
    loading.value = true;
    error.value = null;
    try {
      view.value = await getCustomerPricing(customerId(), period.value, { silent: true });
    } catch (failure) {
      view.value = null;
      error.value = quoteErrorText(failure);
    } finally {
      loading.value = false;
    }
  }
  watch([customerId, period], () => {
    quote.value = null;
    quoteError.value = null;
    void load();
  }, { immediate: true });

  /** PUT: the new view, or the ApiError for the form to place (rethrown). */
  async function save(body: CustomerPricingInput): Promise<CustomerPricing> {
    const saved = await setCustomerPricing(customerId(), body, { silent: true });
    // The answer is for the current month; show the month the user picked.
    if (saved.period === period.value) view.value = saved;
    else await load();
    quote.value = null;
    return saved;
  }

  async function remove(): Promise<void> {
    await removeCustomerPricing(customerId());
    quote.value = null;
    await load();
  }

  /** Usage problems by series (the client's check), so the quote is not sent with them. */
  function usageProblems(): Partial<Record<DeviceSeries, string>> {
    const out: Partial<Record<DeviceSeries, string>> = {};
    for (const series of ['X', 'N', 'L'] as const) {
      const problem = usages[series].trim() ? checkUsage(usages[series], `usage.${series}`) : null;
      if (problem) out[series] = ruleMessage(problem);
    }
    return out;
  }

  async function runQuote() {
    quoting.value = true;
    quoteError.value = null;
    try {
      quote.value = await quoteBill({ customer_id: customerId(), usage: usageMap(usages), period: period.value }, { silent: true });
    } catch (failure) {
      quote.value = null;
      quoteError.value = isApiError(failure) ? quoteErrorText(failure) : String(failure);
    } finally {
      quoting.value = false;
    }
  }

  return { period, view, loading, error, usages, quote, quoteError, quoting, load, save, remove, usageProblems, runQuote };
}

export type CustomerPricingState = ReturnType<typeof useCustomerPricing>;
