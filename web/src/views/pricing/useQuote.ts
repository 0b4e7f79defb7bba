import { computed, onScopeDispose, ref, shallowRef, watch } from 'vue';
import { isApiError } from '@/api/http';
import { quoteBill, quoteRule } from '@/api/pricing';
import type { BillQuote, DeviceSeries, QuoteRequest, RuleQuote, SeriesUsage } from '@/api/types';
import {
  SERIES_ORDER,
  checkMinimumCharge,
  checkUsage,
  draftToRule,
  minimumOrNull,
  validateRule,
  type RuleDraft,
} from '@/utils/pricing-rules';
import { ruleMessage } from './usePathErrors';

export const QUOTE_DEBOUNCE_MS = 350;

/** The server's words for a failed quote: its message, and what each detail says. */
export function quoteErrorText(error: unknown): string {
  if (!isApiError(error)) return error instanceof Error ? error.message : String(error);
  const details = error.details.map((d) => d.message).filter((m) => m && m !== error.message);
  return details.length ? `${error.message}：${details.join('；')}` : error.message;
}

/**
 * Sends `build()` (when not null) a moment after it last changed, and keeps the answer
 * of the latest request only. Errors are the server's message, shown where the answer
 * would be; the global error pop-up stays quiet (`silent`).
 */
export function useDebouncedRequest<Req, Res>(build: () => Req | null, send: (request: Req) => Promise<Res>, delay = QUOTE_DEBOUNCE_MS) {
  const result = shallowRef<Res | null>(null);
  /** The request `result` answers. */
  const answered = shallowRef<Req | null>(null);
  const error = ref<string | null>(null);
  const loading = ref(false);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ticket = 0;

  function run(key: string | null) {
    clearTimeout(timer);
    const mine = ++ticket;
    if (key === null) {
      result.value = null;
      answered.value = null;
      error.value = null;
      loading.value = false;
      return;
    }
    loading.value = true;
    timer = setTimeout(async () => {
      try {
        const request = JSON.parse(key) as Req;
        const answer = await send(request);
        if (mine !== ticket) return;
        result.value = answer;
        answered.value = request;
        error.value = null;
      } catch (failure) {
        if (mine !== ticket) return;
        result.value = null;
        answered.value = null;
        error.value = quoteErrorText(failure);
      } finally {
        if (mine === ticket) loading.value = false;
      }
    }, delay);
  }

  const key = computed(() => {
    const request = build();
    return request === null ? null : JSON.stringify(request);
  });
  watch(key, run, { immediate: true });
  onScopeDispose(() => {
    clearTimeout(timer);
    ticket += 1;
  });
  return { result, answered, error, loading, refresh: () => run(key.value) };
}

/**
 * The live quote of one rule. A valid rule is always quoted (usage "0" when none was
 * typed) so a volume rule's price cliffs show at once; amounts show only for a typed usage.
 */
export function useRuleQuote(draft: () => RuleDraft, usage: () => string) {
  const typed = computed(() => usage().trim());
  const usageError = computed(() => {
    const problem = typed.value ? checkUsage(typed.value) : null;
    return problem ? ruleMessage(problem) : null;
  });
  const ruleReady = computed(() => validateRule(draft(), 'rule').length === 0);
  const request = useDebouncedRequest<QuoteRequest, RuleQuote>(
    () => (ruleReady.value && !usageError.value ? { rule: draftToRule(draft()), usage: typed.value || '0' } : null),
    (body) => quoteRule(body, { silent: true }),
  );
  return {
    ...request,
    usageError,
    ruleReady,
    /** A usage was typed (amounts are not shown for the "0" sent for the cliffs). */
    hasUsage: computed(() => typed.value !== '' && !usageError.value),
    /** The result answers the usage on screen. */
    current: computed(() => request.answered.value !== null && request.answered.value.usage === typed.value),
    cliffs: computed(() => request.result.value?.cliffs ?? []),
  };
}

/** Usage per series, the valid ones only, for a plan quote. */
export function usageMap(usages: Record<DeviceSeries, string>): SeriesUsage {
  const out: SeriesUsage = {};
  for (const series of SERIES_ORDER) {
    const text = usages[series].trim();
    if (text && !checkUsage(text)) out[series] = text;
  }
  return out;
}

/** The editor's plan total: the unsaved plan priced for the usage of each series. */
export function usePlanQuote(
  plan: () => { minimum_charge: string; rules: Record<DeviceSeries, RuleDraft> },
  usages: () => Record<DeviceSeries, string>,
) {
  const ready = computed(() => {
    const p = plan();
    return !checkMinimumCharge(p.minimum_charge) && SERIES_ORDER.every((s) => validateRule(p.rules[s], 'rule').length === 0);
  });
  const request = useDebouncedRequest<QuoteRequest, BillQuote>(
    () => {
      if (!ready.value) return null;
      const p = plan();
      const rules = { X: draftToRule(p.rules.X), N: draftToRule(p.rules.N), L: draftToRule(p.rules.L) };
      return { plan: { minimum_charge: minimumOrNull(p.minimum_charge), rules }, usage: usageMap(usages()) };
    },
    (body) => quoteBill(body, { silent: true }),
  );
  return { ...request, ready };
}
