/**
 * Enter in a date picker never submits the form around it (issue 21: the payment form was
 * saved half-filled — payer, reference and remarks lost — when a clerk typed a date and
 * pressed Enter). Arco's pickers take Enter to accept the typed date; the browser would
 * then also submit the `<form>` (implicit submission). One listener on the document, in
 * the capture phase, cancels only that default action for keys pressed inside a picker,
 * so the picker still handles the key and every form — present or future, in any view —
 * is covered without each having to remember it.
 */

/** Whether the key event is an Enter inside a date/time/range picker within a form. */
export function isPickerEnter(event: KeyboardEvent): boolean {
  if (event.key !== 'Enter' || event.isComposing) return false;
  const target = event.target;
  if (!(target instanceof Element)) return false;
  return target.closest('.arco-picker') !== null && target.closest('form') !== null;
}

export function pickerEnterGuard(event: KeyboardEvent): void {
  if (isPickerEnter(event)) event.preventDefault();
}

/** Installs the guard once; returns how to remove it (tests). */
export function installPickerEnterGuard(root: Document = document): () => void {
  root.addEventListener('keydown', pickerEnterGuard, true);
  return () => root.removeEventListener('keydown', pickerEnterGuard, true);
}
