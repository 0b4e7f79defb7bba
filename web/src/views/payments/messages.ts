import type { OwnerRef } from '@/api/types';
import i18n from '@/locale';
import type { RuleError } from '@/utils/payment-rules';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));

/** A payment check's problem in the user's language: the server's Chinese as it is, or the translation. */
export function paymentRuleMessage(error: RuleError): string {
  if (i18n.global.locale.value === 'zh-CN') return error.message;
  const params: Record<string, unknown> = { ...error.params };
  if (typeof params.label === 'string') params.label = t(`payments.labels.${params.label}`);
  return t(`payments.rules.${error.key}`, params);
}

/** Who did it; a missing user is the system (an import, a job). */
export function userName(user: OwnerRef | null | undefined): string {
  return user ? user.display_name : t('payments.system');
}
