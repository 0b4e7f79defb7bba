import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installPickerEnterGuard, isPickerEnter } from '@/utils/picker-enter';

/** Enter in a date picker never submits the form around it (issue 21); elsewhere it still does. */
describe('Enter in a date picker', () => {
  let remove: () => void;
  beforeEach(() => {
    document.body.innerHTML = `
      <form id="f">
        <div class="arco-picker"><input id="day" /></div>
        <input id="payer" />
      </form>
      <div class="arco-picker"><input id="outside" /></div>`;
    remove = installPickerEnterGuard(document);
  });
  afterEach(() => remove());

  const press = (id: string, key = 'Enter') => {
    const event = new KeyboardEvent('keydown', { key, bubbles: true, cancelable: true });
    document.getElementById(id)!.dispatchEvent(event);
    return event;
  };

  it('cancels the implicit submission in a picker inside a form', () => {
    expect(press('day').defaultPrevented).toBe(true);
  });

  it('leaves other keys, other inputs and pickers outside forms alone', () => {
    expect(press('day', 'a').defaultPrevented).toBe(false);
    expect(press('payer').defaultPrevented).toBe(false);
    expect(press('outside').defaultPrevented).toBe(false);
  });

  it('stops a submit set off by that Enter before the form sees it, but not a later one', async () => {
    const form = document.getElementById('f') as HTMLFormElement;
    let submitted = 0;
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      submitted += 1;
    });
    press('day');
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(submitted).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 0));
    press('payer');
    form.dispatchEvent(new Event('submit', { bubbles: true, cancelable: true }));
    expect(submitted).toBe(1);
  });

  it('lets the picker itself still see the key', () => {
    let seen = false;
    document.getElementById('day')!.addEventListener('keydown', () => (seen = true));
    press('day');
    expect(seen).toBe(true);
    expect(isPickerEnter(new KeyboardEvent('keydown', { key: 'Enter' }))).toBe(false);
  });
});
