import { computed, reactive, ref, shallowRef } from 'vue';
import { createPayment, getPayment, updatePayment } from '@/api/payments';
import { isApiError } from '@/api/http';
import type { DuplicatePaymentDetail, Payment } from '@/api/types';
import { useFormErrors } from '@/hooks/useFormErrors';
import {
  editBlocker,
  emptyPaymentForm,
  PAYMENT_FIELDS,
  patchChanges,
  paymentPatch,
  paymentRequest,
  paymentToForm,
  validatePaymentForm,
  type PaymentField,
  type PaymentForm,
} from '@/utils/payment-rules';
import { paymentRuleMessage } from '../messages';

export type SaveOutcome = { payment: Payment; created: boolean } | { payment: null; unchanged: true } | null;

/**
 * 登记收款 and 编辑收款: the receipt checked as the server checks it (input.rs), the
 * server's 400 details on their fields, and its 409s: a DUPLICATE_PAYMENT names the
 * payment already recorded (shown with a link) and lands on the reference; a payment
 * with allocations is not edited (PAYMENT_HAS_ALLOCATIONS) and the form says so first.
 */
export function usePaymentForm(id: number | null, customerId: number | null = null) {
  const model = reactive<PaymentForm>(emptyPaymentForm(customerId));
  const original = shallowRef<Payment | null>(null);
  const loading = ref(false);
  const missing = ref(false);
  const form = useFormErrors<PaymentField>(PAYMENT_FIELDS, { DUPLICATE_PAYMENT: 'reference' });

  /** Editing a payment that has allocations: why not, in the server's words. */
  const locked = computed(() => {
    const problem = original.value ? editBlocker(original.value) : null;
    return problem ? paymentRuleMessage(problem) : null;
  });

  /** The payment already recorded with the same method and reference, from the last 409. */
  const duplicate = computed<DuplicatePaymentDetail | null>(() => {
    const error = form.lastError.value;
    if (error?.code !== 'DUPLICATE_PAYMENT') return null;
    const detail = (error.details[0] ?? {}) as DuplicatePaymentDetail;
    return { ...detail, message: error.message };
  });

  async function load() {
    if (id === null) return;
    loading.value = true;
    try {
      const payment = await getPayment(id, { silent: true });
      original.value = payment;
      Object.assign(model, paymentToForm(payment));
    } catch (error) {
      if (isApiError(error) && error.status === 404) missing.value = true;
      else form.failure.value = isApiError(error) ? error.message : String(error);
    } finally {
      loading.value = false;
    }
  }

  /** The client's problems on their fields; true when there are none. */
  function validate(): boolean {
    const problems: Partial<Record<PaymentField, string>> = {};
    for (const e of validatePaymentForm(model)) problems[e.field as PaymentField] ??= paymentRuleMessage(e);
    return form.check(problems);
  }

  /** Creates or saves; null when nothing was written (the errors say why). */
  async function submit(): Promise<SaveOutcome> {
    form.failure.value = null;
    if (locked.value) {
      form.failure.value = locked.value;
      return null;
    }
    if (!validate()) return null;
    const current = original.value;
    if (current) {
      const patch = paymentPatch(model, current);
      if (!patchChanges(patch)) return { payment: null, unchanged: true };
      const saved = await form.save(() => updatePayment(current.id, patch, { silent: true }));
      if (saved) original.value = saved;
      return saved ? { payment: saved, created: false } : null;
    }
    const saved = await form.save(() => createPayment(paymentRequest(model), { silent: true }));
    return saved ? { payment: saved, created: true } : null;
  }

  return {
    model,
    original,
    loading,
    missing,
    errors: form.errors,
    failure: form.failure,
    saving: form.saving,
    locked,
    duplicate,
    editing: id !== null,
    load,
    submit,
  };
}

export type PaymentFormState = ReturnType<typeof usePaymentForm>;
