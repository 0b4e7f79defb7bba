import { computed, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { FieldOption, FieldSchema } from '@/components/SchemaForm/types';
import { groupThousands } from '@/utils/decimal';

/** Filters kept in the URL query next to page and page_size. */
export const FILTER_KEYS = ['actor_id', 'entity_type', 'entity_id', 'from', 'to'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export const ENTITY_TYPES = [
  'user',
  'session',
  'customer',
  'customer_import',
  'customer_pricing',
  'price_plan',
  'usage',
  'usage_record',
  'usage_quarantine',
  'usage_account_link',
  'billing_run',
  'bill',
  'payment',
  'receivables',
  'master_key',
];

/** Where the record an entry names is shown, when it has a page. */
export function recordLink(entityType: string, entityId: string | null): string | null {
  if (!entityId) return null;
  if (entityType === 'customer' || entityType === 'customer_pricing') return `/customers/${entityId}`;
  if (entityType === 'bill') return `/bills/${entityId}`;
  if (entityType === 'payment') return `/payments/${entityId}`;
  return null;
}

export interface ChangeRow {
  field: string;
  before: unknown;
  after: unknown;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `{before, after}` / `{old, new}` / `[before, after]` for one field. */
function asPair(value: unknown): { before: unknown; after: unknown } | null {
  if (Array.isArray(value) && value.length === 2) return { before: value[0], after: value[1] };
  if (!isObject(value)) return null;
  const keys = Object.keys(value);
  if (keys.length > 0 && keys.every((k) => k === 'before' || k === 'after')) return { before: value.before, after: value.after };
  if (keys.length > 0 && keys.every((k) => k === 'old' || k === 'new')) return { before: value.old, after: value.new };
  return null;
}

/**
 * Field-by-field rows from an audit entry's `changes`, whichever of the usual shapes
 * it has: `{before: {...}, after: {...}}` or `{field: {before, after}}` (also
 * `{old, new}` and `[before, after]`). Null when it is none of them; the page then
 * shows the JSON as it is.
 */
export function toChangeRows(changes: unknown): ChangeRow[] | null {
  if (!isObject(changes)) return null;
  const keys = Object.keys(changes);
  if (keys.length === 0) return [];
  const whole = asPair(changes);
  if (whole && (isObject(whole.before) || whole.before == null) && (isObject(whole.after) || whole.after == null)) {
    const before = (whole.before ?? {}) as Record<string, unknown>;
    const after = (whole.after ?? {}) as Record<string, unknown>;
    const fields = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return fields.map((field) => ({ field, before: before[field], after: after[field] }));
  }
  const rows: ChangeRow[] = [];
  for (const field of keys) {
    // A fact rather than a change (`{"file_name": …, "created": 12}`): shown as its value.
    const pair = asPair(changes[field]) ?? { before: undefined, after: changes[field] };
    rows.push({ field, ...pair });
  }
  return rows;
}

/** What the value of a field is called in the UI: `t`/`te` from vue-i18n, the entry's `refs`. */
export interface ValueContext {
  t: (key: string, values?: Record<string, unknown>) => string;
  te: (key: string) => boolean;
  refs: Record<string, string>;
}

/** Fields holding an amount: grouped by thousands. */
const MONEY_FIELDS = new Set(['amount', 'allocated', 'total', 'subtotal', 'credited', 'outstanding', 'unapplied', 'credit_note']);
/** Fields holding the id of a record, and the record's kind in `refs`. */
const REF_FIELDS: Record<string, string> = {
  customer_id: 'customer',
  bill_id: 'bill',
  payment_id: 'payment',
  plan_id: 'price_plan',
  sales_owner_id: 'user',
  ops_owner_id: 'user',
  user_id: 'user',
  owner_id: 'user',
};
/** Stored as a keyed hash for search (the value itself is encrypted): never meaningful to show. */
const HASHED_FIELDS = new Set(['contact_phone', 'contact_email']);

export const isEmptyValue = (value: unknown) => value === undefined || value === null || value === '';

/** A field's name in Chinese (or the UI language); the code when none is known. */
export function fieldName(field: string, { t, te }: ValueContext): string {
  if (te(`audit.fields.${field}`)) return t(`audit.fields.${field}`);
  return te(`customers.fields.${field}`) ? t(`customers.fields.${field}`) : field;
}

/**
 * A value as people read it: records by their number or name (never an id), amounts with
 * thousands separators, codes (roles, statuses, methods) by name, yes/no, lists joined,
 * nested objects as 「字段：值」 pairs.
 */
export function showValue(field: string, value: unknown, ctx: ValueContext): string {
  const { t, te, refs } = ctx;
  if (isEmptyValue(value)) return t('audit.changes.empty');
  if (HASHED_FIELDS.has(field)) return t('audit.changes.encrypted');
  const kind = REF_FIELDS[field];
  if (kind && (typeof value === 'number' || typeof value === 'string')) {
    return refs[`${kind}:${value}`] ?? t('audit.changes.record', { id: value });
  }
  if (typeof value === 'boolean') return value ? t('common.yes') : t('common.no');
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') {
    if (MONEY_FIELDS.has(field) && /^-?\d+(\.\d+)?$/.test(value)) return groupThousands(value);
    if (field === 'role' && te(`role.${value}`)) return t(`role.${value}`);
    if (field === 'method' && te(`payments.method.${value}`)) return t(`payments.method.${value}`);
    if (field === 'status' && te(`userStatus.${value}`)) return t(`userStatus.${value}`);
    if (field === 'status' && te(`bills.status.${value}`)) return t(`bills.status.${value}`);
    if (field === 'status' && te(`payments.status.${value}`)) return t(`payments.status.${value}`);
    if (field === 'via' && te(`audit.via.${value}`)) return t(`audit.via.${value}`);
    if (field === 'format') return value.toUpperCase();
    if ((field === 'account_status' || field === 'to' || field === 'from') && te(`customerStatus.${value}`)) {
      return t(`customerStatus.${value}`);
    }
    return value;
  }
  if (Array.isArray(value)) {
    if (!value.length) return t('audit.changes.empty');
    return value.map((item) => showValue(field, item, ctx)).join(isObject(value[0]) ? '；' : '、');
  }
  if (isObject(value)) {
    return Object.entries(value)
      .filter(([key, inner]) => key !== 'id' && !isEmptyValue(inner))
      .map(([key, inner]) => `${fieldName(key, ctx)}：${showValue(key, inner, ctx)}`)
      .join('，');
  }
  return String(value);
}

export function useSearchSchema(actorOptions: Ref<FieldOption[] | null>) {
  const { t, te } = useI18n();
  return computed<FieldSchema[]>(() => [
    actorOptions.value
      ? {
          field: 'actor_id',
          label: t('audit.search.actor'),
          component: 'select',
          placeholder: t('audit.search.actorPlaceholder'),
          options: actorOptions.value,
          props: { allowSearch: true },
        }
      : {
          field: 'actor_id',
          label: t('audit.search.actor'),
          component: 'input',
          placeholder: t('audit.search.actorIdPlaceholder'),
        },
    {
      field: 'entity_type',
      label: t('audit.search.entityType'),
      component: 'select',
      placeholder: t('audit.search.entityTypePlaceholder'),
      options: ENTITY_TYPES.map((value) => ({
        value,
        label: te(`audit.entityTypes.${value}`) ? t(`audit.entityTypes.${value}`) : value,
      })),
      props: { allowCreate: true, allowSearch: true },
    },
    {
      field: 'entity_id',
      label: t('audit.search.entityId'),
      component: 'input',
      placeholder: t('audit.search.entityIdPlaceholder'),
    },
    {
      field: 'range',
      label: t('audit.search.dateRange'),
      component: 'dateRange',
      rangeFields: ['from', 'to'],
      props: { valueFormat: 'YYYY-MM-DD' },
    },
  ]);
}

export function useColumns() {
  const { t } = useI18n();
  return computed<TableColumnData[]>(() => [
    { title: t('audit.columns.at'), dataIndex: 'at', slotName: 'at', width: 180 },
    { title: t('audit.columns.actor'), dataIndex: 'actor_name', slotName: 'actor', width: 150 },
    { title: t('audit.columns.action'), dataIndex: 'action', slotName: 'action', width: 170 },
    { title: t('audit.columns.entity'), dataIndex: 'entity_type', slotName: 'entity', minWidth: 160 },
    { title: t('audit.columns.ip'), dataIndex: 'ip', slotName: 'ip', width: 140 },
    { title: t('audit.columns.requestId'), dataIndex: 'request_id', slotName: 'requestId', width: 160 },
  ]);
}
