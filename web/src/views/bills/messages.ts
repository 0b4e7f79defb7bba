import type { BillActor } from '@/api/types';
import i18n from '@/locale';
import { ruleMessenger } from '@/locale/rule-message';
import { SKIP_REASONS, WARNING_CODES } from '@/utils/bill-rules';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));

/** A bill check's problem in the user's language: the server's Chinese as it is, or the translation. */
export const billRuleMessage = ruleMessenger('bills', { label: 'bills.labels', status: 'bills.status', action: 'bills.actionNames' });

/** 无定价方案, 用量激增…; an unknown code as it is. */
export function warningLabel(code: string): string {
  return (WARNING_CODES as readonly string[]).includes(code) ? t(`bills.warnings.${code}`) : code;
}

/** 试用客户, 无用量…; an unknown code as it is. */
export function skipReasonLabel(code: string): string {
  return (SKIP_REASONS as readonly string[]).includes(code) ? t(`bills.skipReasons.${code}`) : code;
}

export function actorName(actor: BillActor | null | undefined): string {
  if (!actor) return t('bills.system');
  return actor.display_name || `#${actor.id}`;
}
