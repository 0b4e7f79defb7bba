import { ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message, Modal } from '@arco-design/web-vue';
import { resendNotification } from '@/api/notifications';
import type { NotificationView } from '@/api/types';
import { eventLabel } from './data';

/**
 * What a list of notifications does with one (通知记录, a customer's 通知 tab): 查看 opens
 * it in the drawer; 重新发送 asks first, then `POST /notifications/{id}/resend`, shows the
 * answer (back in 待发送) in the drawer and reads the list again. A refusal (409
 * NOT_RESENDABLE: it was resent meanwhile) is the client's message; the dialog stays.
 */
export function useNotificationActions(reload: () => unknown) {
  const { t } = useI18n();
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

  return { shown, drawerOpen, view, resend };
}
