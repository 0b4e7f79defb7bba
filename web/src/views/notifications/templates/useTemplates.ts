import { computed, ref, shallowRef } from 'vue';
import { onBeforeRouteLeave, useRoute, useRouter } from 'vue-router';
import { useI18n } from 'vue-i18n';
import { Modal } from '@arco-design/web-vue';
import { isApiError } from '@/api/http';
import { getChannelStatus, listTemplates } from '@/api/notifications';
import type { ChannelStatus, TemplateView } from '@/api/types';

/** A template's name in the page: `bill.overdue/email`. */
export const templateKey = (x: Pick<TemplateView, 'event' | 'channel'>) => `${x.event}/${x.channel}`;

/**
 * The 通知模板 page's state: every template (`GET /notification-templates`), the one open
 * (in the URL, `?event=&channel=`, so a reload or a link opens it again; the first
 * otherwise), and whether the channels are configured. Leaving unsaved changes (for another
 * template or another page) asks first.
 */
export function useTemplates() {
  const { t } = useI18n();
  const route = useRoute();
  const router = useRouter();
  const templates = shallowRef<TemplateView[]>([]);
  const channels = shallowRef<ChannelStatus | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);
  /** The open editor has changes not saved. */
  const dirty = ref(false);

  const selected = computed(
    () => templates.value.find((x) => x.event === route.query.event && x.channel === route.query.channel) ?? templates.value[0] ?? null,
  );

  async function load() {
    loading.value = true;
    try {
      templates.value = await listTemplates({ silent: true });
      error.value = null;
    } catch (failure) {
      error.value = isApiError(failure) ? failure.message : String(failure);
    } finally {
      loading.value = false;
    }
  }

  async function loadChannels() {
    try {
      channels.value = await getChannelStatus({ silent: true });
    } catch {
      // Only the notice is missing; the templates work without it.
    }
  }

  /** True when nothing is unsaved, or once the user agrees to drop it. */
  function mayLeave(): Promise<boolean> {
    if (!dirty.value) return Promise.resolve(true);
    return new Promise((resolve) => {
      Modal.confirm({
        title: t('notifications.templates.leaveTitle'),
        content: t('notifications.templates.leaveContent'),
        onOk: () => resolve(true),
        onCancel: () => resolve(false),
      });
    });
  }

  async function select(next: TemplateView) {
    if (selected.value && templateKey(next) === templateKey(selected.value)) return;
    if (await mayLeave()) await router.replace({ query: { ...route.query, event: next.event, channel: next.channel } });
  }

  onBeforeRouteLeave(mayLeave);

  /** A template saved or restored: the list shows it as the server has it now. */
  function replace(next: TemplateView) {
    templates.value = templates.value.map((x) => (templateKey(x) === templateKey(next) ? next : x));
  }

  return { templates, channels, loading, error, dirty, selected, load, loadChannels, select, replace };
}
