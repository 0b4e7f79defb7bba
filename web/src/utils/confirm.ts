import { Modal } from '@arco-design/web-vue';

/**
 * Asks before something that cannot be undone (删除, 移除): a warning with a red OK.
 * `run` does it; the dialog closes once it has, and stays open when it failed (the
 * http client has shown the server's message).
 */
export function confirmDanger(options: { title: string; content: string; run: () => Promise<unknown> }) {
  Modal.warning({
    title: options.title,
    content: options.content,
    hideCancel: false,
    okButtonProps: { status: 'danger' },
    onBeforeOk: async () => {
      try {
        await options.run();
        return true;
      } catch {
        return false;
      }
    },
  });
}
