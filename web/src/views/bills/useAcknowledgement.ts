import { ref, watch, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';

/**
 * The 已核对警告 tick (AcknowledgeBox) of a dialog that issues bills with warnings:
 * unticked each time the dialog opens, its complaint gone once ticked. `confirmed(needed)`
 * says whether issuing may go on, and when not, puts the complaint under the box.
 */
export function useAcknowledgement(visible: Readonly<Ref<boolean>>) {
  const { t } = useI18n();
  const acknowledged = ref(false);
  const error = ref<string | null>(null);

  watch(visible, (open) => {
    if (!open) return;
    acknowledged.value = false;
    error.value = null;
  });
  watch(acknowledged, (on) => on && (error.value = null));

  function confirmed(needed: boolean): boolean {
    if (!needed || acknowledged.value) return true;
    error.value = t('bills.issue.acknowledgeRequired');
    return false;
  }

  return { acknowledged, error, confirmed };
}
