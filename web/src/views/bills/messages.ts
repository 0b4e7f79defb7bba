import type { BillActor } from '@/api/types';
import i18n from '@/locale';
import type { RuleError } from '@/utils/bill-rules';
import { SKIP_REASONS, WARNING_CODES } from '@/utils/bill-rules';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));

/** A bill check's problem in the user's language: the server's Chinese as it is, or the translation. */
export function billRuleMessage(error: RuleError): string {
  if (i18n.global.locale.value === 'zh-CN') return error.message;
  const params: Record<string, unknown> = { ...error.params };
  if (typeof params.label === 'string') params.label = t(`bills.labels.${params.label}`);
  if (typeof params.status === 'string') params.status = t(`bills.status.${params.status}`);
  if (typeof params.action === 'string') params.action = t(`bills.actionNames.${params.action}`);
  return t(`bills.rules.${error.key}`, params);
}

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
