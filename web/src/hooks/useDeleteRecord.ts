import { Message } from '@arco-design/web-vue';
import { useI18n } from 'vue-i18n';
import { useRouter, type RouteLocationRaw } from 'vue-router';
import { confirmDanger } from '@/utils/confirm';

/**
 * 删除 on a record's own page: asks first (`<labels>.delete`, `<labels>.deleteConfirm`
 * with the record's `name`), deletes, says so (`<labels>.deleted`) and goes to `list`.
 * A refusal (409 PLAN_IN_USE…) keeps the question open; the client has shown the
 * server's message.
 */
export function useDeleteRecord(labels: string, list: RouteLocationRaw) {
  const { t } = useI18n();
  const router = useRouter();
  return (name: string, remove: () => Promise<unknown>) =>
    confirmDanger({
      title: t(`${labels}.delete`),
      content: t(`${labels}.deleteConfirm`, { name }),
      run: async () => {
        await remove();
        Message.success(t(`${labels}.deleted`, { name }));
        void router.push(list);
      },
    });
}
