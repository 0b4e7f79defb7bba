import { reactive, ref, shallowRef } from 'vue';
import { isApiError, type ApiError } from '@/api/http';

/**
 * A form's field errors and its save (a dialog takes them through useFormDialog): the
 * client's problems go on their fields; the request is sent silently;
 * a failure's `details[].field` land on the fields they name, a 409 whose code concerns
 * one field (`CREDIT_EXCEEDS_OUTSTANDING` → `amount`) lands there, and anything else is
 * the server's message in `failure`, for an alert above the form.
 */
export function useFormErrors<F extends string>(fields: readonly F[], codeFields: Partial<Record<string, F>> = {}) {
  const errors = reactive(Object.fromEntries(fields.map((f) => [f, '']))) as Record<F, string>;
  const failure = ref<string | null>(null);
  const saving = ref(false);
  /** The last failure, for callers that react to a code (reload after a 409…). */
  const lastError = shallowRef<ApiError | null>(null);

  function reset() {
    for (const f of fields) errors[f] = '';
    failure.value = null;
    lastError.value = null;
  }

  /** Shows the client's problems (a missing field clears it); true when there are none. */
  function check(problems: Partial<Record<F, string | null | undefined>>): boolean {
    for (const f of fields) errors[f] = problems[f] ?? '';
    return fields.every((f) => !errors[f]);
  }

  /** Sends; resolves with the answer, or null when it failed (the errors then say why). */
  async function save<T>(send: () => Promise<T>): Promise<T | null> {
    failure.value = null;
    lastError.value = null;
    saving.value = true;
    try {
      return await send();
    } catch (error) {
      if (!isApiError(error)) throw error;
      lastError.value = error;
      let placed = false;
      for (const f of fields) {
        const message = error.fieldMessage(f);
        errors[f] = message ?? '';
        if (message) placed = true;
      }
      const field = codeFields[error.code];
      if (!placed && field) {
        errors[field] = error.message;
        placed = true;
      }
      if (!placed) failure.value = error.message;
      return null;
    } finally {
      saving.value = false;
    }
  }

  return { errors, failure, saving, lastError, reset, check, save };
}

export type FormErrors<F extends string> = ReturnType<typeof useFormErrors<F>>;
