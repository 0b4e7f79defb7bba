import { computed, reactive, ref, shallowRef } from 'vue';
import { allocatePayment, getPayment, getPaymentSuggestions, updatePayment } from '@/api/payments';
import { isApiError, type ApiError } from '@/api/http';
import type { AllocateResponse, AllocationSuggestion, OpenBill, Payment, PaymentSuggestions } from '@/api/types';
import { addDecimal, compareDecimal } from '@/utils/decimal';
import {
  allocationRequest,
  billOfPath,
  checkAllocationLine,
  fillAmount,
  remainingOf,
  statusOf,
  suggestionEntries,
  toCents,
  validateAllocations,
  type AllocationEntries,
} from '@/utils/payment-rules';
import { paymentRuleMessage } from '../messages';

/**
 * The bills a suggestion names that the open-bill list does not show (it stops at 500):
 * added after the listed ones, so applying any suggestion always fills visible rows.
 */
export function workbenchBills(answer: PaymentSuggestions | null): OpenBill[] {
  if (!answer) return [];
  const listed = new Set(answer.open_bills.map((b) => b.bill_id));
  const extra: OpenBill[] = [];
  for (const suggestion of answer.suggestions) {
    for (const line of suggestion.allocations) {
      if (listed.has(line.bill_id)) continue;
      listed.add(line.bill_id);
      extra.push({ bill_id: line.bill_id, bill_no: line.bill_no, period: line.period, due_date: null, total: line.outstanding, allocated: '0.00', outstanding: line.outstanding, overdue_days: 0 });
    }
  }
  return [...answer.open_bills, ...extra];
}

/** A server error's message with the field details it names (a 400 lists them). */
function describe(error: ApiError): string {
  const lines = error.details.filter((d) => d.message).map((d) => (d.field ? `${d.field}：${d.message}` : d.message));
  return lines.length ? `${error.message}：${lines.join('；')}` : error.message;
}

/**
 * 核销工作台: the payment and what it has left on one side; the customer's open bills with
 * an amount per bill (blank: not this one) and the server's suggestions on the other.
 * The remaining amount (unapplied − Σ entered) is live and exact; each amount is checked
 * against its bill as the server will, the total against the payment. A payment without a
 * customer first gets one: the customers its payer name points to, or any customer picked.
 */
export function useWorkbench(paymentId: number) {
  const payment = shallowRef<Payment | null>(null);
  const answer = shallowRef<PaymentSuggestions | null>(null);
  const entries = reactive<AllocationEntries>({});
  const loading = ref(false);
  const missing = ref(false);
  const saving = ref(false);
  const choosing = ref(false);
  /** A refusal with no row to show it on (the 409s: EXCEEDS_UNAPPLIED, BILL_NOT_OPEN…). */
  const failure = ref<string | null>(null);
  /** The server's 400 details by bill id, kept while the amount stays as it was sent. */
  const serverErrors = reactive<Record<number, { message: string; sent: string }>>({});
  const submitted = ref(false);

  const bills = computed(() => workbenchBills(answer.value));
  const unapplied = computed(() => payment.value?.unapplied ?? '0.00');
  const remaining = computed(() => remainingOf(unapplied.value, entries));
  const needsCustomer = computed(() => !!payment.value && payment.value.customer_id === null);
  const fullyApplied = computed(() => !!payment.value && compareDecimal(payment.value.unapplied, '0') <= 0);

  /** Each bill's problem: the server's while unchanged, else the client's, as the user types. */
  const rowErrors = computed<Record<number, string>>(() => {
    const out: Record<number, string> = {};
    for (const bill of bills.value) {
      const text = entries[bill.bill_id] ?? '';
      const server = serverErrors[bill.bill_id];
      if (server && server.sent === text) {
        out[bill.bill_id] = server.message;
        continue;
      }
      const problem = checkAllocationLine(text, bill);
      if (problem) out[bill.bill_id] = paymentRuleMessage(problem);
    }
    return out;
  });

  /** The request's own problem (none chosen only after a try; more than is left at once). */
  const totalError = computed<string | null>(() => {
    const problem = validateAllocations(entries, bills.value, unapplied.value).find((e) => e.field === 'allocations');
    if (!problem || (problem.code === 'REQUIRED' && !submitted.value)) return null;
    return paymentRuleMessage(problem);
  });

  /** The payment's status once the amounts are allocated, when they all are numbers and fit. */
  const statusAfter = computed(() => {
    const p = payment.value;
    if (!p || !remaining.value.complete || remaining.value.count === 0 || remaining.value.negative) return null;
    return statusOf(p.amount, addDecimal(p.allocated, remaining.value.entered));
  });

  function clear() {
    for (const key of Object.keys(entries)) delete entries[Number(key)];
    for (const key of Object.keys(serverErrors)) delete serverErrors[Number(key)];
    submitted.value = false;
  }

  async function load() {
    loading.value = true;
    failure.value = null;
    try {
      const [p, s] = await Promise.all([getPayment(paymentId, { silent: true }), getPaymentSuggestions(paymentId, { silent: true })]);
      payment.value = p;
      answer.value = s;
      // Amounts for bills that are no longer open go.
      const open = new Set(workbenchBills(s).map((b) => b.bill_id));
      for (const key of Object.keys(entries)) if (!open.has(Number(key))) delete entries[Number(key)];
    } catch (error) {
      if (isApiError(error) && error.status === 404) missing.value = true;
      else failure.value = isApiError(error) ? error.message : String(error);
    } finally {
      loading.value = false;
    }
  }

  function setEntry(billId: number, text: string) {
    entries[billId] = text;
  }

  /** The checkbox: on fills what the bill can take of what is left, off clears it. */
  function toggle(bill: OpenBill, checked: boolean) {
    entries[bill.bill_id] = checked ? fillAmount(bill, unapplied.value, entries) : '';
  }

  /** 填满: the bill's whole outstanding amount. */
  function fillOutstanding(bill: OpenBill) {
    entries[bill.bill_id] = toCents(bill.outstanding);
  }

  /** 按此填入: the suggestion's amounts, every other bill blank. */
  function apply(suggestion: AllocationSuggestion) {
    clear();
    Object.assign(entries, suggestionEntries(suggestion));
  }

  /** Puts the payment on a customer (PATCH), then loads that customer's bills and suggestions. */
  async function chooseCustomer(customerId: number): Promise<boolean> {
    const p = payment.value;
    if (!p) return false;
    choosing.value = true;
    failure.value = null;
    try {
      payment.value = await updatePayment(p.id, { customer_id: customerId, version: p.version }, { silent: true });
      clear();
      await load();
      return true;
    } catch (error) {
      if (!isApiError(error)) throw error;
      if (error.status === 409) await load();
      failure.value = describe(error);
      return false;
    } finally {
      choosing.value = false;
    }
  }

  /** 确认核销: resolves with the answer, or null when nothing was written (the errors say why). */
  async function submit(): Promise<AllocateResponse | null> {
    submitted.value = true;
    failure.value = null;
    const problems = validateAllocations(entries, bills.value, unapplied.value);
    if (problems.length) return null;
    const lines = allocationRequest(entries, bills.value);
    saving.value = true;
    try {
      const result = await allocatePayment(paymentId, { allocations: lines }, { silent: true });
      payment.value = result.payment;
      return result;
    } catch (error) {
      if (!isApiError(error)) throw error;
      for (const key of Object.keys(serverErrors)) delete serverErrors[Number(key)];
      let unplaced = false;
      for (const detail of error.status === 400 ? error.details : []) {
        const billId = detail.field ? billOfPath(detail.field, lines) : null;
        if (billId === null) unplaced = true;
        else serverErrors[billId] ??= { message: detail.message, sent: entries[billId] ?? '' };
      }
      // Someone else allocated, reversed or voided meanwhile: show the bills as they are now.
      if (error.status === 409) await load();
      if (error.status !== 400 || unplaced || !error.details.length) failure.value = describe(error);
      return null;
    } finally {
      saving.value = false;
    }
  }

  return {
    payment,
    answer,
    bills,
    entries,
    loading,
    missing,
    saving,
    choosing,
    failure,
    remaining,
    rowErrors,
    totalError,
    statusAfter,
    needsCustomer,
    fullyApplied,
    load,
    setEntry,
    toggle,
    fillOutstanding,
    apply,
    clear,
    chooseCustomer,
    submit,
  };
}

export type Workbench = ReturnType<typeof useWorkbench>;
