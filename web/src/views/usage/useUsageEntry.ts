import { reactive, ref } from 'vue';
import { ApiError, isApiError } from '@/api/http';
import { writeUsage } from '@/api/usage';
import type { UsageWriteResult } from '@/api/types';
import { emptyEntry, entryFieldOf, entryRequest, validateEntry, type EntryForm } from '@/utils/usage-rules';
import { usePathErrors } from '@/views/pricing/usePathErrors';
import { usageRuleMessage } from './messages';

const PLACEABLE = /^records\[0\]\.(customer_id|series|day|quantity)$|^reason$/;

/**
 * The manual entry form: one record, checked as the server checks it while the user
 * types, sent with `strict: true` so a bad value is a 400 naming `records[0].quantity`
 * (shown on that field) and nothing lands in quarantine.
 */
export function useUsageEntry() {
  const model = reactive<EntryForm>({ records: [emptyEntry()], reason: '' });
  const paths = usePathErrors(model, () => validateEntry(model), (path) => PLACEABLE.test(path), usageRuleMessage);
  const saving = ref(false);
  /** A failure with no field to show it on. */
  const message = ref<string | null>(null);

  function open(customerId: number | null = null) {
    const keep = model.records[0];
    // A second entry usually continues with the same customer and day.
    model.records = [{ ...emptyEntry(keep?.day || undefined), customer_id: customerId ?? keep?.customer_id ?? null }];
    model.reason = '';
    message.value = null;
    paths.reset();
  }

  /** Resolves with the write's result, or null when nothing was written. */
  async function submit(): Promise<UsageWriteResult | null> {
    message.value = null;
    if (!paths.validate()) return null;
    saving.value = true;
    try {
      const answer = await writeUsage(entryRequest(model), { silent: true });
      return answer.results[0] ?? null;
    } catch (error) {
      if (!isApiError(error)) throw error;
      // `records[0].account_id` belongs to the customer picker.
      const mapped = new ApiError(error.status, error.code, error.message, error.details.map((d) => (d.field ? { ...d, field: entryFieldOf(d.field) } : d)));
      const placed = paths.setServerErrors(mapped);
      if (!placed || paths.unplaced.value.length) message.value = error.message;
      return null;
    } finally {
      saving.value = false;
    }
  }

  return { model, errors: paths.errors, unplaced: paths.unplaced, message, saving, open, submit };
}
