import { computed, reactive, ref, shallowRef, watch } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message } from '@arco-design/web-vue';
import { isApiError } from '@/api/http';
import { previewTemplate, resetTemplate, saveTemplate } from '@/api/notifications';
import type { TemplatePreview, TemplatePreviewInput, TemplateView } from '@/api/types';
import { useFormErrors } from '@/hooks/useFormErrors';
import { confirmDanger } from '@/utils/confirm';
import { useDebouncedRequest } from '@/views/pricing/useQuote';
import { eventLabel } from '../data';

/** How long the preview waits after the last keystroke. */
export const PREVIEW_DEBOUNCE_MS = 400;

export const TEMPLATE_FIELDS = ['subject', 'body'] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

/** A preview's answer: the rendered text, or the server's words for the fields it refused. */
export type PreviewOutcome = { preview: TemplatePreview; problems?: undefined } | { preview?: undefined; problems: Partial<Record<TemplateField, string>> };

/** The text as the server takes it: a subject for e-mail only. */
const subjectOf = (template: Pick<TemplateView, 'channel'>, subject: string) => (template.channel === 'email' ? subject : null);

/**
 * One template being edited: the subject and body as typed, a preview rendered by the
 * server a moment after each change (against `billId`, else the latest issued bill) whose
 * 400s land on the fields they name as the user types, 保存 (its field errors land there
 * too) and 恢复默认. The server is the only judge of the variables.
 */
export function useTemplateEditor(template: TemplateView, saved: (template: TemplateView) => void) {
  const { t } = useI18n();
  /** The template as stored: what `dirty` compares with. */
  const stored = shallowRef(template);
  const model = reactive({ subject: template.subject ?? '', body: template.body });
  const billId = ref<number | undefined>(undefined);
  const form = useFormErrors(TEMPLATE_FIELDS);

  const dirty = computed(() => model.body !== stored.value.body || (template.channel === 'email' && model.subject !== (stored.value.subject ?? '')));

  const preview = useDebouncedRequest<TemplatePreviewInput, PreviewOutcome>(
    () => ({
      event: template.event,
      channel: template.channel,
      subject: subjectOf(template, model.subject),
      body: model.body,
      bill_id: billId.value ?? null,
    }),
    async (body) => {
      try {
        return { preview: await previewTemplate(body, { silent: true }) };
      } catch (failure) {
        const named = isApiError(failure) ? TEMPLATE_FIELDS.filter((f) => failure.fieldMessage(f)) : [];
        if (!isApiError(failure) || !named.length) throw failure;
        return { problems: Object.fromEntries(named.map((f) => [f, failure.fieldMessage(f)])) };
      }
    },
    PREVIEW_DEBOUNCE_MS,
  );

  // A save's field errors are about the text it sent: typing again hands over to the preview's.
  watch(
    () => [model.subject, model.body],
    () => {
      for (const f of TEMPLATE_FIELDS) form.errors[f] = '';
      form.failure.value = null;
    },
  );

  /** What is wrong with each field: the last save's answer, else the live preview's. */
  const errors = computed(() => {
    const live = preview.result.value?.problems ?? {};
    return Object.fromEntries(TEMPLATE_FIELDS.map((f) => [f, form.errors[f] || live[f] || ''])) as Record<TemplateField, string>;
  });

  function apply(next: TemplateView) {
    stored.value = next;
    model.subject = next.subject ?? '';
    model.body = next.body;
    saved(next);
  }

  async function save(): Promise<boolean> {
    const answer = await form.save(() =>
      saveTemplate(template.event, template.channel, { subject: subjectOf(template, model.subject), body: model.body }, { silent: true }),
    );
    if (!answer) return false;
    apply(answer);
    Message.success(t('notifications.templates.saved'));
    return true;
  }

  function reset() {
    confirmDanger({
      title: t('notifications.templates.resetTitle'),
      content: t('notifications.templates.resetContent', {
        event: eventLabel(template.event),
        channel: t(`notifications.channel.${template.channel}`),
      }),
      run: async () => {
        apply(await resetTemplate(template.event, template.channel));
        Message.success(t('notifications.templates.resetDone'));
      },
    });
  }

  return {
    model,
    billId,
    dirty,
    errors,
    saving: form.saving,
    failure: form.failure,
    preview: computed(() => preview.result.value?.preview ?? null),
    previewError: preview.error,
    previewing: preview.loading,
    stored,
    save,
    reset,
  };
}

/** `token` put in place of `text[start, end)`; answers the new text and where the cursor goes (after the token). */
export function insertAt(text: string, start: number, end: number, token: string) {
  const from = Math.max(0, Math.min(start, text.length));
  const to = Math.max(from, Math.min(end, text.length));
  return { text: text.slice(0, from) + token + text.slice(to), cursor: from + token.length };
}
