import { describe, expect, it } from 'vitest';
import { createApp, h, nextTick } from 'vue';
import ArcoVue from '@arco-design/web-vue';
import i18n from '@/locale';
import UploadStep from '@/components/import/UploadStep.vue';

/** The real Arco upload inside the step, so a renamed Arco prop cannot silently drop files. */
function render() {
  const picked: File[] = [];
  const el = document.createElement('div');
  document.body.appendChild(el);
  const app = createApp({
    render: () =>
      h(UploadStep, {
        phase: 'idle',
        progress: 0,
        fileName: '',
        error: null,
        templateLoading: false,
        onPick: (file: File) => picked.push(file),
      }),
  });
  app.use(ArcoVue).use(i18n).mount(el);
  return { el, picked, unmount: () => app.unmount() };
}

const flush = async () => {
  await new Promise((r) => setTimeout(r, 0));
  await nextTick();
};

describe('upload step', () => {
  it('hands a chosen file to the wizard, and keeps it out of Arco’s own list', async () => {
    const { el, picked, unmount } = render();
    const input = el.querySelector<HTMLInputElement>('input[type="file"]');
    expect(input?.accept).toBe('.xlsx,.csv');
    const file = new File(['客户编号,公司名称\n'], '客户.csv', { type: 'text/csv' });
    Object.defineProperty(input, 'files', { value: [file], configurable: true });
    input?.dispatchEvent(new Event('change'));
    await flush();
    expect(picked).toEqual([file]);
    expect(el.querySelector('.arco-upload-list-item')).toBeNull();
    unmount();
  });

  it('passes on a dropped file that Arco would ignore, so the wizard can say why', async () => {
    const { el, picked, unmount } = render();
    const file = new File(['x'], 'notes.txt', { type: 'text/plain' });
    const drop = new Event('drop', { bubbles: true, cancelable: true }) as DragEvent;
    Object.defineProperty(drop, 'dataTransfer', { value: { files: [file], items: [] } });
    el.querySelector('.arco-upload-drag')?.dispatchEvent(drop);
    await flush();
    expect(picked).toEqual([file]);
    unmount();
  });
});
