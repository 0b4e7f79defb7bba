import type { RuleError } from '@/utils/customer-rules';
import i18n from './index';

/**
 * How a rule's problem reads in the user's language: in Chinese the server's own words
 * (the rules files copy them character for character); otherwise the translation under
 * `<prefix>.rules.<key>`, with the params that name something (`label: 'amount'`) put in
 * words too, each from its own place in the locale (`label` → `<prefix>.labels.amount`).
 */
export function ruleMessenger(prefix: string, named: Record<string, string> = { label: `${prefix}.labels` }) {
  function message(error: RuleError): string;
  function message(error: RuleError | null): string | null;
  function message(error: RuleError | null): string | null {
    if (!error) return null;
    const { t, locale } = i18n.global;
    if (locale.value === 'zh-CN') return error.message;
    const params: Record<string, unknown> = { ...error.params };
    for (const [param, place] of Object.entries(named)) {
      const value = params[param];
      if (typeof value === 'string') params[param] = t(`${place}.${value}`);
    }
    return t(`${prefix}.rules.${error.key}`, params);
  }
  return message;
}
