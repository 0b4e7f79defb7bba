import type { CreditFactors } from '@/api/types';
import { formatDays, formatRate, formatRatio } from '@/utils/analytics';
import type { FactorKey } from './data';

/**
 * A factor of the score as people read it, with its unit's i18n key: 按时付清 as a
 * percentage, 平均逾期 in days, 逾期金额比 as a multiple, 合作 in months; `—` when the
 * window has no bill.
 */
export function factorText(factors: CreditFactors, key: FactorKey): { value: string; unit: string | null } {
  switch (key) {
    case 'on_time':
      return { value: formatRate(factors.on_time), unit: null };
    case 'late_days':
      return { value: formatDays(factors.late_days), unit: factors.late_days === null ? null : 'analytics.credit.unit.days' };
    case 'overdue_ratio':
      return { value: formatRatio(factors.overdue_ratio), unit: factors.overdue_ratio === null ? null : 'analytics.credit.unit.times' };
    case 'tenure_months':
      return { value: String(factors.tenure_months), unit: 'analytics.credit.unit.months' };
  }
}
