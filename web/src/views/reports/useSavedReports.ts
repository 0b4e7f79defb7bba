import { ref, shallowRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message } from '@arco-design/web-vue';
import { deleteSavedReport, getSavedReport, listSavedReports, updateSavedReport } from '@/api/reports';
import type { SavedReport, SavedReportSummary } from '@/api/types';
import { confirmDanger } from '@/utils/confirm';

/**
 * 我的报表: the caller's saved reports, newest change first as the server lists them;
 * renaming one keeps its definition as saved (not the builder's unsaved changes), and
 * deleting asks first.
 */
export function useSavedReports() {
  const { t } = useI18n();
  const items = shallowRef<SavedReportSummary[]>([]);
  const loading = ref(false);

  async function reload() {
    loading.value = true;
    try {
      items.value = await listSavedReports();
    } catch {
      // The client has shown the message; keep the list on screen.
    } finally {
      loading.value = false;
    }
  }

  /** PUT with the saved definition (the open report's if it is this one, else read afresh). */
  async function rename(item: Pick<SavedReportSummary, 'id'>, name: string, open: SavedReport | null): Promise<SavedReport> {
    const definition = open?.id === item.id ? open.definition : (await getSavedReport(item.id, { silent: true })).definition;
    const renamed = await updateSavedReport(item.id, { name, definition }, { silent: true });
    Message.success(t('reports.saved.renamed', { name: renamed.name }));
    void reload();
    return renamed;
  }

  function remove(item: SavedReportSummary, done: () => void) {
    confirmDanger({
      title: t('reports.saved.deleteTitle'),
      content: t('reports.saved.deleteConfirm', { name: item.name }),
      run: async () => {
        await deleteSavedReport(item.id);
        Message.success(t('reports.saved.deleted', { name: item.name }));
        done();
        void reload();
      },
    });
  }

  return { items, loading, reload, rename, remove };
}
