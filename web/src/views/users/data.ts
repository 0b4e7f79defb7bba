import { computed, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { Role, Team, UserStatus } from '@/api/types';
import type { FieldSchema } from '@/components/SchemaForm/types';
import { parseEmail, parsePhone } from '@/utils/customer-rules';
import { checkPassword, passwordProblemMessageKey } from '@/utils/password';
import { SCOPES, teamScopeWithoutTeam, type UserFormModel } from './form';

export const ROLES: Role[] = ['operations', 'sales', 'management'];
export const STATUSES: UserStatus[] = ['active', 'disabled'];

/** Filters kept in the URL query next to page and page_size. */
export const FILTER_KEYS = ['q', 'role', 'status'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

/** Mirrors the server's username rule so mistakes show before submitting. */
export const USERNAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.-]{2,31}$/;
export const DISPLAY_NAME_MAX = 50;

export function useSearchSchema() {
  const { t } = useI18n();
  return computed<FieldSchema[]>(() => [
    { field: 'q', label: t('users.search.q'), component: 'input', placeholder: t('users.search.qPlaceholder') },
    {
      field: 'role',
      label: t('users.search.role'),
      component: 'select',
      placeholder: t('users.search.all'),
      options: ROLES.map((value) => ({ value, label: t(`role.${value}`) })),
    },
    {
      field: 'status',
      label: t('users.search.status'),
      component: 'select',
      placeholder: t('users.search.all'),
      options: STATUSES.map((value) => ({ value, label: t(`userStatus.${value}`) })),
    },
  ]);
}

export function useColumns() {
  const { t } = useI18n();
  return computed<TableColumnData[]>(() => [
    { title: t('users.columns.username'), dataIndex: 'username', slotName: 'username', minWidth: 140 },
    { title: t('users.columns.displayName'), dataIndex: 'display_name', minWidth: 120 },
    { title: t('users.columns.role'), dataIndex: 'role', slotName: 'role', width: 100 },
    { title: t('users.columns.status'), dataIndex: 'status', slotName: 'status', width: 100 },
    { title: t('users.columns.team'), dataIndex: 'team_id', slotName: 'team', minWidth: 120 },
    { title: t('users.columns.scope'), dataIndex: 'data_scope', slotName: 'scope', width: 130 },
    { title: t('users.columns.contact'), dataIndex: 'email', slotName: 'contact', minWidth: 200 },
    { title: t('users.columns.lastLogin'), dataIndex: 'last_login_at', slotName: 'lastLogin', width: 180 },
    { title: t('users.columns.createdAt'), dataIndex: 'created_at', slotName: 'createdAt', width: 180 },
    { title: t('users.columns.actions'), slotName: 'actions', width: 90, fixed: 'right', align: 'center' },
  ]);
}

/**
 * The create/edit dialog's fields. Creating asks for the username and an initial
 * password; editing shows the status and an optional password reset.
 */
export function useFormSchema(options: {
  mode: Ref<'create' | 'edit'>;
  model: UserFormModel;
  isSelf: Ref<boolean>;
  teams: Readonly<Ref<readonly Team[]>>;
}) {
  const { t } = useI18n();
  const { model } = options;

  /** The server reads staff addresses as it reads a customer's (customer/fields.rs); empty is none. */
  const contactRule = (parse: (text: string) => string | null, message: string) => ({
    validator: (value: string | undefined, callback: (message?: string) => void) =>
      callback(value?.trim() && parse(value) === null ? t(message) : undefined),
  });

  const passwordRule = (required: boolean) => ({
    validator: (value: string | undefined, callback: (message?: string) => void) => {
      if (!value) return callback(required ? t('users.form.passwordRequired') : undefined);
      const problem = checkPassword(value, { username: model.username });
      callback(problem ? t(passwordProblemMessageKey[problem]) : undefined);
    },
  });

  return computed<FieldSchema[]>(() => {
    const creating = options.mode.value === 'create';
    const roleOptions = ROLES.map((value) => ({ value, label: t(`role.${value}`) }));
    const fields: FieldSchema[] = [
      {
        field: 'username',
        label: t('users.form.username'),
        component: 'input',
        placeholder: t('users.form.usernamePlaceholder'),
        disabled: !creating,
        rules: creating
          ? [
              { required: true, message: t('users.form.usernameRequired') },
              { match: USERNAME_PATTERN, message: t('users.form.usernameFormat') },
            ]
          : [],
        props: { autocomplete: 'off' },
      },
      {
        field: 'display_name',
        label: t('users.form.displayName'),
        component: 'input',
        placeholder: t('users.form.displayNamePlaceholder'),
        rules: [
          { required: true, message: t('users.form.displayNameRequired') },
          { maxLength: DISPLAY_NAME_MAX, message: t('users.form.displayNameTooLong') },
        ],
      },
      {
        field: 'role',
        label: t('users.form.role'),
        component: 'radio',
        options: roleOptions,
        disabled: options.isSelf.value,
        extra: options.isSelf.value ? t('users.form.selfLocked') : undefined,
        rules: [{ required: true, message: t('users.form.roleRequired') }],
      },
      {
        field: 'team_id',
        label: t('users.form.team'),
        component: 'select',
        placeholder: t('users.form.teamPlaceholder'),
        options: options.teams.value.map((team) => ({ value: team.id, label: team.name })),
        extra: t('users.form.teamExtra'),
      },
      {
        field: 'data_scope',
        label: t('users.form.scope'),
        component: 'select',
        placeholder: t('users.form.scopePlaceholder'),
        options: SCOPES.map((value) => ({ value, label: t(`users.scope.${value}`) })),
        disabled: !model.role,
        // What the chosen scope lets the user see, and the catch of a team scope without a team.
        extra: model.data_scope
          ? [t(`users.scopeHint.${model.data_scope}`), teamScopeWithoutTeam(model) ? t('users.form.scopeNoTeam') : ''].filter(Boolean).join(' ')
          : undefined,
        props: { allowClear: false },
      },
      {
        field: 'email',
        label: t('users.form.email'),
        component: 'input',
        placeholder: t('users.form.emailPlaceholder'),
        rules: [contactRule(parseEmail, 'users.form.emailInvalid')],
        props: { autocomplete: 'off' },
      },
      {
        field: 'phone',
        label: t('users.form.phone'),
        component: 'input',
        placeholder: t('users.form.phonePlaceholder'),
        extra: t('users.form.contactExtra'),
        rules: [contactRule(parsePhone, 'users.form.phoneInvalid')],
        props: { autocomplete: 'off' },
      },
    ];
    if (creating) {
      fields.push({
        field: 'password',
        label: t('users.form.password'),
        component: 'password',
        extra: t('users.form.passwordExtra'),
        rules: [{ required: true, message: t('users.form.passwordRequired') }, passwordRule(true)],
      });
    } else {
      fields.push(
        {
          field: 'status',
          label: t('users.form.status'),
          component: 'radio',
          options: STATUSES.map((value) => ({ value, label: t(`userStatus.${value}`) })),
          disabled: options.isSelf.value,
        },
        {
          field: 'password',
          label: t('users.form.resetPassword'),
          component: 'password',
          placeholder: t('users.form.resetPasswordPlaceholder'),
          extra: t('users.form.resetPasswordExtra'),
          rules: [passwordRule(false)],
        },
      );
    }
    return fields;
  });
}
