import { reactive, type UnwrapRef } from 'vue';
import { useI18n } from 'vue-i18n';
import { Message } from '@arco-design/web-vue';
import { updateSettings } from '@/api/settings';
import type { SettingsUpdate, SettingsView } from '@/api/types';
import { useFormErrors } from '@/hooks/useFormErrors';
import type { RuleError } from '@/utils/rules';
import { settingsRuleMessage } from './messages';

export interface SettingsSectionOptions<F extends string, M extends object> {
  /** The paths the section's inputs stand for, as the server names them (`company.name`). */
  fields: readonly F[];
  /** The section's model from the settings. */
  read: (settings: SettingsView) => M;
  validate: (model: UnwrapRef<M>) => RuleError[];
  /** Only the section's own keys: `PUT /settings` changes what it is given and nothing else. */
  request: (model: UnwrapRef<M>) => SettingsUpdate;
  /** After a save: every setting as the server has it now. */
  saved: (settings: SettingsView) => void;
}

/**
 * One section of 系统设置: its own model (the settings it shows, read once, so another
 * section's save never overwrites what is being typed here), the rules checked before
 * sending, a partial `PUT /settings` sent silently, the server's field errors on the
 * inputs they name and any other failure above the form, and 已保存 after a success.
 */
export function useSettingsSection<F extends string, M extends object>(settings: SettingsView, options: SettingsSectionOptions<F, M>) {
  const { t } = useI18n();
  const model = reactive(options.read(settings));
  const form = useFormErrors(options.fields);

  /** Validates, sends; true when saved. */
  async function submit(): Promise<boolean> {
    const problems = options.validate(model as UnwrapRef<M>);
    const shown: Partial<Record<F, string>> = {};
    for (const p of problems) shown[p.field as F] ??= settingsRuleMessage(p);
    form.failure.value = null;
    if (!form.check(shown)) return false;
    const answer = await form.save(() => updateSettings(options.request(model as UnwrapRef<M>), { silent: true }));
    if (!answer) return false;
    Object.assign(model, options.read(answer));
    Message.success(t('settings.saved'));
    options.saved(answer);
    return true;
  }

  return { model, ...form, submit };
}
