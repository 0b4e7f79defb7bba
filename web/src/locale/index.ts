import { createI18n } from 'vue-i18n';
import zhCN from './zh-CN';
import enUS from './en-US';

export type LocaleCode = 'zh-CN' | 'en-US';

export const LOCALES: { code: LocaleCode; label: string }[] = [
  { code: 'zh-CN', label: '中文' },
  { code: 'en-US', label: 'English' },
];

export const DEFAULT_LOCALE: LocaleCode = 'zh-CN';
const STORAGE_KEY = 'opcms.locale';

function isLocale(value: unknown): value is LocaleCode {
  return LOCALES.some((l) => l.code === value);
}

export function savedLocale(): LocaleCode {
  const value = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  return isLocale(value) ? value : DEFAULT_LOCALE;
}

export const messages = { 'zh-CN': zhCN, 'en-US': enUS };

const i18n = createI18n({
  legacy: false,
  locale: savedLocale(),
  fallbackLocale: DEFAULT_LOCALE,
  messages,
});

export function setLocale(code: LocaleCode): void {
  i18n.global.locale.value = code;
  localStorage.setItem(STORAGE_KEY, code);
  document.documentElement.lang = code;
}

export default i18n;
