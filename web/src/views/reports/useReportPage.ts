import { computed, onMounted, ref, shallowRef, watch } from 'vue';
import { useI18n } from 'vue-i18n';
import { useRoute, useRouter, type LocationQueryRaw } from 'vue-router';
import { Message } from '@arco-design/web-vue';
import { isApiError } from '@/api/http';
import { createSavedReport, exportReport, exportSavedReport, getSavedReport, listReportDatasets, updateSavedReport } from '@/api/reports';
import type { ReportExportFormat, SavedReport, SavedReportSummary } from '@/api/types';
import { emptyForm, sameDefinition, toDefinition, type ReportForm } from './builder';
import { provideReportForm, useReportForm } from './useReportForm';
import { useReportRun } from './useReportRun';
import { parseReportUrl, queryKey, reportUrlQuery } from './useReportUrl';
import { useSavedReports } from './useSavedReports';

export type NameDialogMode = 'save' | 'saveAs' | 'rename';

/**
 * 自定义报表's state: the builder (provided to its parts), 我的报表, the saved report
 * open, the result, and the address bar (useReportUrl says what it keeps). Saving and
 * exporting a saved report that is unchanged use it by id; anything else sends the
 * builder's definition.
 */
export function useReportPage() {
  const { t } = useI18n();
  const route = useRoute();
  const router = useRouter();
  const routeName = route.name;
  const builder = useReportForm();
  provideReportForm(builder);
  const saved = useSavedReports();
  const current = shallowRef<SavedReport | null>(null);
  const ready = ref(false);
  let sent: ReportForm = builder.snapshot();
  const runner = useReportRun((error) => builder.showFailure(error, sent));

  const definition = builder.definition;
  const dirty = computed(() => !!current.value && !sameDefinition(current.value.definition, definition.value));
  const stale = computed(() => !!runner.ran.value && !sameDefinition(runner.ran.value, definition.value));
  const pristine = computed(() => !current.value && sameDefinition(toDefinition(emptyForm(builder.catalogue.value[0]?.key ?? definition.value.dataset)), definition.value));

  // ---- the address bar ----
  // The queries this page has asked the router for and not yet seen arrive: their arrival is not a new link.
  const pending: string[] = [];
  function write(query: LocationQueryRaw) {
    const key = queryKey(query);
    if (key === queryKey(route.query)) return;
    pending.push(key);
    void router.replace({ query });
  }
  const wanted = computed(() =>
    reportUrlQuery({
      report: current.value?.id ?? null,
      definition: dirty.value || (!current.value && !pristine.value) ? definition.value : null,
      page: runner.result.value && !stale.value ? runner.page.value : null,
      pageSize: runner.pageSize.value,
    }),
  );
  watch(wanted, (query) => {
    if (ready.value && route.name === routeName) write(query);
  });
  // Another link to this page (the menu, back): start from what it says.
  watch(
    () => route.query,
    (query) => {
      if (!ready.value || route.name !== routeName) return;
      const ours = pending.indexOf(queryKey(query));
      if (ours >= 0) pending.splice(0, ours + 1);
      else void start();
    },
  );

  async function start() {
    ready.value = false;
    pending.length = 0;
    const url = parseReportUrl(route.query);
    runner.clear();
    current.value = null;
    if (url.report !== null) {
      try {
        current.value = await getSavedReport(url.report, { silent: true });
      } catch {
        Message.warning(t('reports.saved.gone'));
      }
    }
    const shown = url.definition ?? current.value?.definition;
    if (shown && builder.catalogue.value.some((d) => d.key === shown.dataset)) builder.load(shown);
    else builder.reset();
    runner.pageSize.value = url.pageSize;
    ready.value = true;
    write(wanted.value);
    if (url.page !== null && shown) await run(url.page);
  }

  onMounted(async () => {
    const [catalogue] = await Promise.all([listReportDatasets().catch(() => []), saved.reload()]);
    builder.catalogue.value = catalogue;
    await start();
  });

  // ---- actions ----
  /** 运行: the client's checks first, then the server's page. */
  async function run(at = 1) {
    if (!builder.check()) return false;
    sent = builder.snapshot();
    return runner.run(definition.value, at);
  }

  async function open(item: Pick<SavedReportSummary, 'id'>) {
    try {
      const report = await getSavedReport(item.id);
      current.value = report;
      builder.load(report.definition);
      runner.clear();
      await run();
    } catch {
      void saved.reload();
    }
  }

  function create() {
    current.value = null;
    builder.reset();
    runner.clear();
  }

  /** Sends the builder's definition under `name`; a refusal lands on the builder and, for the name, in the dialog. */
  async function store(name: string, id: number | null) {
    const form = builder.snapshot();
    const input = { name, definition: toDefinition(form) };
    try {
      const report = id === null ? await createSavedReport(input, { silent: true }) : await updateSavedReport(id, input, { silent: true });
      current.value = report;
      Message.success(t('reports.actions.saved', { name: report.name }));
      void saved.reload();
      return report;
    } catch (error) {
      // The name's own refusal belongs to the name dialog, not the builder.
      if (isApiError(error) && error.code !== 'REPORT_NAME_TAKEN') builder.showFailure(error, form);
      throw error;
    }
  }

  const nameDialog = ref<{ visible: boolean; mode: NameDialogMode; name: string; target: SavedReportSummary | null }>({
    visible: false,
    mode: 'save',
    name: '',
    target: null,
  });
  const askName = (mode: NameDialogMode, name: string, target: SavedReportSummary | null = null) => {
    nameDialog.value = { visible: true, mode, name, target };
  };

  /** 保存: the open report in place; a new one asks for its name. */
  async function save() {
    if (!builder.check()) return Message.warning(t('reports.actions.fixFirst'));
    if (!current.value) return askName('save', '');
    try {
      await store(current.value.name, current.value.id);
    } catch (error) {
      if (isApiError(error)) Message.error(error.message);
    }
  }

  function saveAs() {
    if (!builder.check()) return Message.warning(t('reports.actions.fixFirst'));
    askName('saveAs', current.value?.name ?? '');
  }

  /** The name dialog's OK. */
  async function submitName(name: string) {
    const { mode, target } = nameDialog.value;
    if (mode !== 'rename' || !target) return store(name, null);
    const renamed = await saved.rename(target, name, current.value);
    if (current.value?.id === renamed.id) current.value = { ...current.value, name: renamed.name, updated_at: renamed.updated_at };
    return renamed;
  }

  function remove(item: SavedReportSummary) {
    saved.remove(item, () => {
      // The builder keeps the report, now unsaved, so nothing on screen is lost.
      if (current.value?.id === item.id) current.value = null;
    });
  }

  /** 导出: a saved, unchanged report by id; else the builder's definition, checked first (ExportDropdown says nothing of a refusal: said here). */
  async function exportAs(format: ReportExportFormat): Promise<string> {
    const open = current.value;
    if (open && !dirty.value) return exportSavedReport(open.id, open.name, format);
    if (!builder.check()) {
      Message.warning(t('reports.actions.fixFirst'));
      throw new Error(t('reports.actions.fixFirst'));
    }
    const form = builder.snapshot();
    try {
      return await exportReport(format, { ...(open ? { name: open.name } : {}), definition: toDefinition(form) });
    } catch (error) {
      if (isApiError(error)) builder.showFailure(error, form);
      throw error;
    }
  }

  return { builder, saved, current, dirty, stale, ready, runner, run, open, create, save, saveAs, nameDialog, askName, submitName, remove, exportAs };
}
