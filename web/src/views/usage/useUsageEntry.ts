import { reactive, ref } from 'vue';
import { ApiError, isApiError } from '@/api/http';
import { correctUsage, writeUsage } from '@/api/usage';
import type { ExistingUsageRecord, UsageExistsDetail } from '@/api/types';
import { emptyEntry, entryFieldOf, entryRequest, validateEntry, type EntryForm } from '@/utils/usage-rules';
import { usePathErrors } from '@/views/pricing/usePathErrors';
import { usageRuleMessage } from './messages';

const PLACEABLE = /^records\[0\]\.(customer_id|series|day|quantity)$|^reason$/;

/** What a save did: the write's status and the day entered (the page shows its month). */
export interface EntryOutcome {
  status: 'created' | 'updated' | 'unchanged' | 'quarantined' | 'discarded' | 'corrected' | 'added';
  day: string;
}

/**
 * The manual entry form: one record, checked as the server checks it while the user
 * types, sent with `strict: true` so a bad value is a 400 naming `records[0].quantity`
 * (shown on that field) and nothing lands in quarantine.
 *
 * When the customer, series and day already has a record from another source (409
 * USAGE_EXISTS), nothing is written and `existing` lists those records: the person then
 * corrects one of them (`correct`, PATCH with its version, the old value kept) or adds a
 * second record on purpose (`add`, the same request with `add: true`).
 */
export function useUsageEntry() {
  const model = reactive<EntryForm>({ records: [emptyEntry()], reason: '' });
  const paths = usePathErrors(model, () => validateEntry(model), (path) => PLACEABLE.test(path), usageRuleMessage);
  const saving = ref(false);
  /** A failure with no field to show it on. */
  const message = ref<string | null>(null);
  /** The records already there (409 USAGE_EXISTS), or null. */
  const existing = ref<ExistingUsageRecord[] | null>(null);

  function open(customerId: number | null = null) {
    const keep = model.records[0];
    // A second entry usually continues with the same customer and day.
    model.records = [{ ...emptyEntry(keep?.day || undefined), customer_id: customerId ?? keep?.customer_id ?? null }];
    model.reason = '';
    message.value = null;
    existing.value = null;
    paths.reset();
  }

  function showError(error: ApiError) {
    // `records[0].account_id` belongs to the customer picker.
    const mapped = new ApiError(error.status, error.code, error.message, error.details.map((d) => (d.field ? { ...d, field: entryFieldOf(d.field) } : d)));
    const placed = paths.setServerErrors(mapped);
    if (!placed || paths.unplaced.value.length) message.value = error.message;
  }

  async function write(add: boolean): Promise<EntryOutcome | null> {
    message.value = null;
    if (!paths.validate()) return null;
    saving.value = true;
    const day = model.records[0]?.day ?? '';
    try {
      const answer = await writeUsage({ ...entryRequest(model), ...(add ? { add: true } : {}) }, { silent: true });
      existing.value = null;
      const status = answer.results[0]?.status;
      if (!status) return null;
      return { status: add && status === 'created' ? 'added' : status, day };
    } catch (error) {
      if (!isApiError(error)) throw error;
      if (error.code === 'USAGE_EXISTS') {
        const detail = error.details[0] as unknown as UsageExistsDetail | undefined;
        existing.value = detail?.existing ?? [];
        return null;
      }
      showError(error);
      return null;
    } finally {
      saving.value = false;
    }
  }

  /** Resolves with what was written, or null when nothing was (errors, or `existing` set). */
  const submit = () => write(false);

  /** 另行追加: the same record stored as one more, said explicitly. */
  const add = () => write(true);

  /** 修正已有记录: that record takes the form's quantity; a stale version is a 409 shown as the message. */
  async function correct(target: ExistingUsageRecord, fallbackReason: string): Promise<EntryOutcome | null> {
    message.value = null;
    if (!paths.validate()) return null;
    const record = model.records[0];
    if (!record) return null;
    saving.value = true;
    try {
      await correctUsage(
        target.id,
        { quantity: record.quantity.trim(), reason: model.reason.trim() || fallbackReason, version: target.version },
        { silent: true },
      );
      existing.value = null;
      return { status: 'corrected', day: record.day };
    } catch (error) {
      if (!isApiError(error)) throw error;
      message.value = error.message;
      return null;
    } finally {
      saving.value = false;
    }
  }

  return { model, errors: paths.errors, unplaced: paths.unplaced, message, saving, existing, open, submit, add, correct };
}
