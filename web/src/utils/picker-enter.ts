/**
 * Enter in a date picker never submits the form around it (issue 21: the payment form was
 * saved half-filled — payer, reference and remarks lost — when a clerk typed a date and
 * pressed Enter). Arco's pickers take Enter to accept the typed date; the browser would
 * then also submit the `<form>` (implicit submission). Two listeners on the document, in
 * the capture phase, so they run before any form's own: an Enter pressed inside a picker
 * has its default action cancelled, and a submit event that such an Enter still sets off
 * (in the same turn — Chromium even sends it as a click of the default button) is
 * stopped before the form sees it. The picker still gets the key; a click on 保存 still submits; every form —
 * present or future, in any view — is covered without each having to remember it.
 */

/** Whether the key event is an Enter inside a date/time/range picker within a form. */
export function isPickerEnter(event: KeyboardEvent): boolean {
  if (event.key !== 'Enter' || event.isComposing) return false;
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return target.closest('.arco-picker') !== null && target.closest('form') !== null;
}

let pickerEnter = false;

/** A click in the same turn as a picker's Enter is the browser's implicit submission, not the user's. */
export function clickGuard(event: MouseEvent): void {
  if (!pickerEnter) return;
  const target = event.target;
  if (target instanceof Element && target.closest('button[type="submit"], input[type="submit"]')) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}

export function pickerEnterGuard(event: KeyboardEvent): void {
  if (!isPickerEnter(event)) return;
  event.preventDefault();
  pickerEnter = true;
  // Whatever the key sets off happens in this turn; a later submit is someone else's.
  setTimeout(() => {
    pickerEnter = false;
  }, 0);
}

/** Chromium submits implicitly by clicking the form's default button: the submitter is set even then. */
export function submitGuard(event: Event): void {
  if (!pickerEnter) return;
  event.preventDefault();
  event.stopImmediatePropagation();
}

/** Installs the guard once; returns how to remove it (tests). */
export function installPickerEnterGuard(root: Document = document): () => void {
  root.addEventListener('keydown', pickerEnterGuard, true);
  root.addEventListener('submit', submitGuard, true);
  root.addEventListener('click', clickGuard, true);
  return () => {
    root.removeEventListener('click', clickGuard, true);
    root.removeEventListener('keydown', pickerEnterGuard, true);
    root.removeEventListener('submit', submitGuard, true);
  };
}
