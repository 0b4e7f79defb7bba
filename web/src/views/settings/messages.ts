import { ruleMessenger } from '@/locale/rule-message';

/** A settings rule's problem in the user's language: the server's Chinese as it is, or the translation. */
export const settingsRuleMessage = ruleMessenger('settings', { label: 'settings.company.fields' });
