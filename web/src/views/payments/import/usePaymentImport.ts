import { computed, ref } from 'vue';
import { downloadPaymentTemplate, importPayments, PAYMENT_IMPORT_EXTENSIONS } from '@/api/payments';
import type { PaymentImportResult, PaymentImportRow, PaymentImportStatus } from '@/api/types';
import { useFileImport } from '@/hooks/useFileImport';

export type RowFilter = 'all' | Exclude<PaymentImportStatus, 'created'>;
export const ROW_FILTERS: readonly RowFilter[] = ['all', 'duplicate', 'rejected', 'skipped'];

/** A real run writes the created rows only: worth confirming when there are some. */
export const importable = (result: PaymentImportResult | null) => (result ? result.created : 0);

/** The file's columns shown next to each row, in the template's order; others as they come. */
export const VALUE_ORDER = ['received_at', 'amount', 'payer_name', 'reference', 'method', 'customer_code', 'remarks', 'debit'];

export function valueKeys(rows: readonly PaymentImportRow[]): string[] {
  const seen = new Set<string>();
  for (const row of rows) for (const [key, value] of Object.entries(row.values ?? {})) if (value != null && value !== '') seen.add(key);
  const known = VALUE_ORDER.filter((key) => seen.has(key));
  return [...known, ...[...seen].filter((key) => !VALUE_ORDER.includes(key)).sort()];
}

/**
 * 银行流水导入: the shared dry-run → confirm flow (`useFileImport`) for a bank statement
 * (`.xlsx`, `.xls`, `.csv`), and its template.
 */
export function usePaymentImport() {
  /** Allocate exact one-to-one matches (off by default); the dry run shows them too. */
  const autoAllocate = ref(false);
  const flow = useFileImport<PaymentImportResult>({
    send: (file, dryRun, options) => importPayments(file, dryRun, options, autoAllocate.value),
    confirmable: (preview) => importable(preview) > 0,
    extensions: PAYMENT_IMPORT_EXTENSIONS,
    template: downloadPaymentTemplate,
  });
  return {
    ...flow,
    importable: computed(() => importable(flow.preview.value)),
    autoAllocate,
  };
}
