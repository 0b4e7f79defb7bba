/**
 * The dialog pattern: FormModal (the OK button, the failure above the form), rendered
 * with the real Arco modal, the facts above a dialog's form, and the 已核对警告 tick of
 * the issue dialogs.
 */
import { describe, expect, it } from 'vitest';
import { h, ref, resolveComponent, type Component } from 'vue';
import DialogFacts from '@/components/form/DialogFacts.vue';
import FormModalView from '@/components/form/FormModal.vue';
import { useAcknowledgement } from '@/views/bills/useAcknowledgement';
import { flush, mountApp } from './support/mount';

const FormModal = FormModalView as unknown as Component;

/** Mounts `component`; a dialog's content is teleported to the body. */
const mount = (component: Component) => mountApp(component);

const okButton = () => [...document.querySelectorAll<HTMLElement>('.arco-modal-footer button')].at(-1);

describe('FormModal', () => {
  it('spins OK while `ok` runs (no flag of its own), stays open on false and closes on true', async () => {
    let answer: (closes: boolean) => void = () => undefined;
    const state = { visible: true };
    await mount({
      setup: () => () =>
        h(FormModal, {
          visible: state.visible,
          'onUpdate:visible': (v: boolean) => (state.visible = v),
          title: '红冲',
          ok: () => new Promise<boolean>((resolve) => (answer = resolve)),
        }, () => h('p', { 'data-testid': 'body' }, '表单')),
    });
    expect(document.querySelector('[data-testid="body"]')?.textContent).toBe('表单');
    expect(okButton()?.classList.contains('arco-btn-loading')).toBe(false);
    okButton()?.click();
    await flush();
    expect(okButton()?.classList.contains('arco-btn-loading')).toBe(true);
    answer(false);
    await flush();
    expect(okButton()?.classList.contains('arco-btn-loading')).toBe(false);
    expect(state.visible).toBe(true);
    okButton()?.click();
    await flush();
    answer(true);
    await flush();
    expect(state.visible).toBe(false);
  });

  it('shows the failure above the form, with its test id', async () => {
    await mount({
      setup: () => () =>
        h(FormModal, { visible: true, title: '作废', failure: '账单已有核销记录，不能作废；请先撤销核销', failureTestId: 'void-error' }, () => 'x'),
    });
    expect(document.querySelector('[data-testid="void-error"]')?.textContent).toContain('账单已有核销记录');
  });
});

describe('DialogFacts', () => {
  it('lists the items it is given, one a row', async () => {
    await mount({
      setup: () => () =>
        h('div', { 'data-testid': 'facts' }, [
          h(DialogFacts, () => [
            h(resolveComponent('a-descriptions-item'), { label: '账单金额' }, () => '100.00'),
            h(resolveComponent('a-descriptions-item'), { label: '未结金额' }, () => '80.00'),
          ]),
        ]),
    });
    const rows = [...document.querySelectorAll('[data-testid="facts"] .dialog-facts tr')].map((r) => r.textContent?.trim());
    expect(rows).toEqual(['账单金额100.00', '未结金额80.00']);
  });
});

describe('useAcknowledgement', () => {
  it('asks for the tick only when it is needed, drops the complaint once ticked, unticks on open', async () => {
    const visible = ref(true);
    let ack!: ReturnType<typeof useAcknowledgement>;
    await mount({
      setup: () => {
        ack = useAcknowledgement(visible);
        return () => null;
      },
    });
    expect(ack.confirmed(false)).toBe(true);
    expect(ack.confirmed(true)).toBe(false);
    expect(ack.error.value).toBe('请先核对警告并勾选「已核对警告」');
    ack.acknowledged.value = true;
    await flush();
    expect(ack.error.value).toBeNull();
    expect(ack.confirmed(true)).toBe(true);
    visible.value = false;
    await flush();
    visible.value = true;
    await flush();
    expect(ack.acknowledged.value).toBe(false);
  });
});
