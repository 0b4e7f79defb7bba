import type { QuarantineReason } from '@/api/types';
import i18n from '@/locale';
import { ruleMessenger } from '@/locale/rule-message';
import { QUARANTINE_REASONS } from '@/utils/usage-rules';

/** A usage check's problem in the user's language: the server's Chinese as it is, or the translation. */
export const usageRuleMessage = ruleMessenger('usage', {});

/** 未知账号, 超出合理上限…; an unknown code as it is. */
export function reasonLabel(code: string | null | undefined): string {
  if (!code) return '—';
  return (QUARANTINE_REASONS as readonly string[]).includes(code) ? i18n.global.t(`usage.reasons.${code as QuarantineReason}`) : code;
}

/** What to tell the user about a record that was not accepted: the server's message first. */
export function rejectionText(reason: string | null | undefined, message: string | null | undefined): string {
  return message?.trim() ? message : reasonLabel(reason);
}
