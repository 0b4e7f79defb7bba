import { computed, reactive, ref } from 'vue';
import { createManualBill } from '@/api/bills';
import { isApiError } from '@/api/http';
import type { Bill } from '@/api/types';
import { emptyLine, emptyManualBill, manualBillRequest, manualSubtotal, MAX_MANUAL_LINES, validateManualBill, type LineMode, type ManualBillForm } from '@/utils/bill-rules';
import { usePathErrors } from '@/views/pricing/usePathErrors';
import { billRuleMessage } from '../messages';

const PLACEABLE = /^(customer_id|period|lines|remarks)$|^lines\[\d+\]\.(description|quantity|unit_price|amount)$/;

/**
 * 手工账单: the customer, the period and 1–50 lines, checked as the server checks them
 * while the user types (empty fields only after a save attempt), each line's amount
 * computed exactly as the server will (quantity × unit price rounded half-up to 0.01),
 * and the server's 400 details (`lines[2].unit_price`) back on their cells.
 */
export function useManualBill(customerId: number | null = null) {
  const model = reactive<ManualBillForm>(emptyManualBill(customerId));
  const paths = usePathErrors(model, () => validateManualBill(model), (path) => PLACEABLE.test(path), billRuleMessage);
  const saving = ref(false);
  /** A failure with no field to show it on. */
  const message = ref<string | null>(null);
  const subtotal = computed(() => manualSubtotal(model.lines));

  function addLine(mode: LineMode = 'priced') {
    if (model.lines.length < MAX_MANUAL_LINES) model.lines.push(emptyLine(mode));
  }

  function removeLine(index: number) {
    if (model.lines.length > 1) model.lines.splice(index, 1);
  }

  /** Resolves with the draft bill, or null when nothing was saved. */
  async function submit(): Promise<Bill | null> {
    message.value = null;
    if (!paths.validate()) return null;
    saving.value = true;
    try {
      return await createManualBill(manualBillRequest(model), { silent: true });
    } catch (error) {
      if (!isApiError(error)) throw error;
      const placed = paths.setServerErrors(error);
      if (!placed || paths.unplaced.value.length) message.value = error.message;
      return null;
    } finally {
      saving.value = false;
    }
  }

  return { model, errors: paths.errors, unplaced: paths.unplaced, message, saving, subtotal, addLine, removeLine, submit };
}

export type ManualBill = ReturnType<typeof useManualBill>;
