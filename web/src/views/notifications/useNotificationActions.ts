import { computed, ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message, Modal } from '@arco-design/web-vue';
import { downloadNotificationAttachment, resendNotification } from '@/api/notifications';
import type { NotificationView } from '@/api/types';
import { usePermission } from '@/hooks/usePermission';
import { eventLabel } from './data';

/**
 * What a list of notifications does with one (通知记录, a customer's 通知 tab): 查看 opens
 * it in the drawer; 重新发送 asks first, then `POST /notifications/{id}/resend`, shows the
 * answer (back in 待发送) in the drawer and reads the list again. A refusal (409
 * NOT_RESENDABLE: it was resent meanwhile) is the client's message; the dialog stays.
 * 下载附件 saves the kept copy of what an e-mail carried (a failure is the client's message).
 * `can` is what the user may do, as props for the table, the cards and the drawer: resend
 * with notifications.manage, download with notifications.view (as the server checks).
 */
export function useNotificationActions(reload: () => unknown) {
  const { t } = useI18n();
  const { hasPermission } = usePermission();
  const can = computed(() => ({ canResend: hasPermission('notifications.manage'), canDownload: hasPermission('notifications.view') }));
  const shown = shallowRef<NotificationView | null>(null);
  const drawerOpen = ref(false);

  function view(notification: NotificationView) {
    shown.value = notification;
    drawerOpen.value = true;
  }

  function resend(notification: NotificationView) {
    Modal.confirm({
      title: t('notifications.resend.title'),
      content: t('notifications.resend.content', {
        event: eventLabel(notification.event),
        recipient: notification.recipient ?? t('notifications.noRecipient'),
      }),
      okText: t('notifications.resend.action'),
      onBeforeOk: async () => {
        try {
          const saved = await resendNotification(notification.id);
          if (shown.value?.id === saved.id) shown.value = saved;
          Message.success(t('notifications.resend.done'));
          void reload();
          return true;
        } catch {
          return false;
        }
      },
    });
  }

  async function downloadAttachment(notification: NotificationView) {
    try {
      await downloadNotificationAttachment(notification);
    } catch {
      // Shown by the client (404: not kept; 503: storage down).
    }
  }

  return { can, shown, drawerOpen, view, resend, downloadAttachment };
}
