import { watch, type Ref } from 'vue';
import type { ApiError } from '@/api/http';
import { useFormErrors } from './useFormErrors';

export interface FormDialogOptions<F extends string, T> {
  /** A 409 whose code concerns one field lands on it (see useFormErrors). */
  codeFields?: Partial<Record<string, F>>;
  /** Fills the model afresh; runs each time the dialog opens, and the errors are cleared. */
  reset?: () => void;
  /** After a success, before the dialog closes: the toast and the event. */
  done: (answer: T) => void;
  /** After a failure that means the record changed meanwhile, so the page reloads it. */
  stale?: () => void;
  /** Which failures those are; any 409 by default. */
  isStale?: (error: ApiError) => boolean;
}

const isConflict = (error: ApiError) => error.status === 409;

/**
 * A dialog that sends one request (红冲, 出账, 作废, 修正用量…): its field errors and save
 * (useFormErrors), cleared with the model each time it opens. `submit` sends and answers
 * whether the dialog may close, for FormModal's `ok`: on success `done` runs; on a failure
 * the errors say why, and `stale` runs when the failure says the record changed meanwhile.
 */
export function useFormDialog<F extends string, T>(visible: Readonly<Ref<boolean>>, fields: readonly F[], options: FormDialogOptions<F, T>) {
  const form = useFormErrors(fields, options.codeFields);

  watch(visible, (open) => {
    if (!open) return;
    options.reset?.();
    form.reset();
  });

  async function submit(send: () => Promise<T>): Promise<boolean> {
    // Wrapped so that a request answering nothing is still told apart from a failure (null).
    const saved = await form.save(async () => ({ answer: await send() }));
    if (saved === null) {
      const error = form.lastError.value;
      if (error && options.stale && (options.isStale ?? isConflict)(error)) options.stale();
      return false;
    }
    options.done(saved.answer);
    return true;
  }

  return { ...form, submit };
}
