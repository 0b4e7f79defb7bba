import { computed, ref } from 'vue';
import { downloadImportOriginal, downloadImportReport, downloadImportTemplate, importCustomers } from '@/api/customer-import';
import type { ImportResult } from '@/api/types';
import { checkFile, useFileImport, withLoading, type ImportStep, type Phase } from '@/hooks/useFileImport';

export { checkFile };
export type { Phase };
export type WizardStep = ImportStep;

/** Rows a real run would write (cleanly or with warnings). */
export function importableRows(result: ImportResult | null): number {
  return result ? result.counts.imported + result.counts.imported_with_warnings : 0;
}

/**
 * The customer import wizard: the shared dry-run → confirm flow (`useFileImport`), plus
 * the import history, the template and the problem reports.
 */
export function useImportWizard() {
  /** Bumped after every answered request, so the history reloads. */
  const historyKey = ref(0);
  const reportLoading = ref(false);
  const flow = useFileImport<ImportResult>({
    send: importCustomers,
    confirmable: (preview) => importableRows(preview) > 0,
    onAnswer: () => (historyKey.value += 1),
    template: downloadImportTemplate,
  });
  const importable = computed(() => importableRows(flow.preview.value));

  /** The report of this run (its `report_url`), or of an earlier import by id. */
  function downloadReport(target: Pick<ImportResult, 'import_id' | 'report_url'> | number) {
    return withLoading(reportLoading, () =>
      typeof target === 'number' ? downloadImportReport(target) : downloadImportReport(target.import_id, target.report_url),
    );
  }

  /** 下载原文件: the spreadsheet uploaded for an earlier import. */
  function downloadOriginal(importId: number, fileName: string) {
    return withLoading(reportLoading, () => downloadImportOriginal(importId, fileName));
  }

  return {
    ...flow,
    importable,
    historyKey,
    reportLoading,
    downloadReport,
    downloadOriginal,
  };
}

export type ImportWizard = ReturnType<typeof useImportWizard>;
