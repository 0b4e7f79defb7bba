import { ref } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message, Modal } from '@arco-design/web-vue';
import { resendErpDocument, resendFailedErpDocuments } from '@/api/integrations';
import type { ErpSyncEntry } from '@/api/types';

/**
 * 重新发送 one document (asked first), or 全部重新发送 every failed one (after the
 * credential was fixed); both are audited server-side. The page reads the log and the
 * connectors again afterwards. A refusal (409: queued meanwhile) is the client's message.
 */
export function useErpActions(reload: () => unknown) {
  const { t } = useI18n();
  const resendingAll = ref(false);

  function resend(entry: ErpSyncEntry) {
    Modal.confirm({
      title: t('integrations.resend.title'),
      content: t(entry.status === 'sent' ? 'integrations.resend.contentSent' : 'integrations.resend.content', {
        kind: t(`integrations.kind.${entry.kind}`),
        no: entry.doc_no,
      }),
      okText: t('integrations.resend.action'),
      onBeforeOk: async () => {
        try {
          await resendErpDocument(entry.id);
          Message.success(t('integrations.resend.done'));
          void reload();
          return true;
        } catch {
          return false;
        }
      },
    });
  }

  async function resendFailed() {
    resendingAll.value = true;
    try {
      const { requeued } = await resendFailedErpDocuments();
      Message.success(t('integrations.resend.allDone', { count: requeued }));
      void reload();
    } catch {
      // The client showed the server's message.
    } finally {
      resendingAll.value = false;
    }
  }

  return { resend, resendFailed, resendingAll };
}
