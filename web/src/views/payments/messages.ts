import type { OwnerRef } from '@/api/types';
import i18n from '@/locale';
import { ruleMessenger } from '@/locale/rule-message';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));

/** A payment check's problem in the user's language: the server's Chinese as it is, or the translation. */
export const paymentRuleMessage = ruleMessenger('payments');

/** Who did it; a missing user is the system (an import, a job). */
export function userName(user: OwnerRef | null | undefined): string {
  return user ? user.display_name : t('payments.system');
}
