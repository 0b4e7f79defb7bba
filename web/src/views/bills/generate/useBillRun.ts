import { computed, ref, shallowRef, watch } from 'vue';
import { batchIssueBills, generateBills, listBills } from '@/api/bills';
import { isApiError } from '@/api/http';
import type { BatchIssueResponse, BillRun, BillSummary } from '@/api/types';
import { useListQuery } from '@/hooks/useListQuery';
import { BATCH_ISSUE_MAX, lastPeriod } from '@/utils/bill-rules';
import { quoteErrorText } from '@/views/pricing/useQuote';

/** The run page keeps its period and the warnings filter in the URL. */
export const FILTER_KEYS = ['period', 'has_warnings'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
/** The largest page the API serves (DESIGN.md §11), for collecting every draft's id. */
const FETCH_PAGE = 200;

/**
 * 账单生成's state: the period (last month by default), an optional list of customers,
 * the run's answer; the period's drafts under review, their selection (kept across
 * pages) and the batch issue's answer.
 */
export function useBillRun() {
  const drafts = useListQuery({
    filterKeys: FILTER_KEYS,
    fetch: (params) => listBills({ ...params, period: params.period || lastPeriod(), has_warnings: params.has_warnings || undefined, status: 'draft' }),
  });
  if (!drafts.filters.period) drafts.filters.period = lastPeriod();
  const period = computed(() => drafts.appliedFilters.value.period || lastPeriod());
  const onlyWarnings = computed(() => drafts.appliedFilters.value.has_warnings === 'true');

  // ---- generation -------------------------------------------------------------------
  const customerIds = ref<number[]>([]);
  const result = shallowRef<BillRun | null>(null);
  const generating = ref(false);
  /** The server's message when the run was refused. */
  const failure = ref<string | null>(null);
  /** Bumped after a run or an issue, so the run history reloads. */
  const refreshKey = ref(0);

  async function generate(): Promise<BillRun | null> {
    generating.value = true;
    failure.value = null;
    try {
      const ids = customerIds.value;
      result.value = await generateBills({ period: period.value, ...(ids.length ? { customer_ids: [...ids] } : {}) }, { silent: true });
      refreshKey.value += 1;
      void drafts.reload();
      return result.value;
    } catch (error) {
      if (!isApiError(error)) throw error;
      failure.value = quoteErrorText(error);
      return null;
    } finally {
      generating.value = false;
    }
  }

  // ---- selection and batch issue ---------------------------------------------------
  const selected = ref<number[]>([]);
  /** Every draft seen on some page, so the selection's warnings are known across pages. */
  const known = new Map<number, BillSummary>();
  watch(drafts.items, (items) => items.forEach((b) => known.set(b.id, b)), { immediate: true });
  const selectedBills = computed(() => selected.value.map((id) => known.get(id)).filter((b): b is BillSummary => !!b));
  const selectedWithWarnings = computed(() => selectedBills.value.filter((b) => b.warnings.length > 0));
  const selectingAll = ref(false);
  const issuing = ref(false);
  const batchResult = shallowRef<BatchIssueResponse | null>(null);

  function clearSelection() {
    selected.value = [];
  }

  /** Every draft of the filter (up to what one batch takes), page by page. */
  async function selectAll() {
    selectingAll.value = true;
    const { has_warnings } = drafts.appliedFilters.value;
    const ids: number[] = [];
    try {
      for (let page = 1; ids.length < BATCH_ISSUE_MAX; page += 1) {
        const answer = await listBills({ period: period.value, status: 'draft', has_warnings: has_warnings || undefined, page, page_size: FETCH_PAGE });
        for (const bill of answer.items) {
          known.set(bill.id, bill);
          if (ids.length < BATCH_ISSUE_MAX) ids.push(bill.id);
        }
        if (answer.items.length < FETCH_PAGE || page * FETCH_PAGE >= answer.total) break;
      }
      selected.value = ids;
    } catch {
      // The client has shown the message; the selection stays as it was.
    } finally {
      selectingAll.value = false;
    }
  }

  /** Issues the selection; `acknowledge` only after the user ticked 已核对警告. */
  async function batchIssue(acknowledge: boolean): Promise<BatchIssueResponse | null> {
    const ids = selected.value.slice(0, BATCH_ISSUE_MAX);
    if (!ids.length) return null;
    issuing.value = true;
    try {
      const answer = await batchIssueBills({ ids, ...(acknowledge ? { acknowledge_warnings: true } : {}) });
      batchResult.value = answer;
      clearSelection();
      refreshKey.value += 1;
      void drafts.reload();
      return answer;
    } catch {
      // The client has shown the server's message.
      return null;
    } finally {
      issuing.value = false;
    }
  }

  /** A batch issue done elsewhere (all clean drafts by filter): show it and reload. */
  function issued(answer: BatchIssueResponse) {
    batchResult.value = answer;
    clearSelection();
    refreshKey.value += 1;
    void drafts.reload();
  }

  function setPeriod(next: string) {
    if (!next || next === period.value) return;
    result.value = null;
    batchResult.value = null;
    clearSelection();
    void drafts.applyFilters({ period: next });
  }

  return {
    drafts,
    period,
    onlyWarnings,
    setOnlyWarnings: (on: boolean) => drafts.applyFilters({ has_warnings: on ? 'true' : '' }),
    setPeriod,
    customerIds,
    result,
    generating,
    failure,
    refreshKey,
    generate,
    selected,
    selectedBills,
    selectedWithWarnings,
    selectingAll,
    issuing,
    batchResult,
    clearSelection,
    selectAll,
    batchIssue,
    issued,
  };
}

export type BillRunState = ReturnType<typeof useBillRun>;
