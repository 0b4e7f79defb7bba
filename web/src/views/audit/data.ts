import { computed, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import type { FieldOption, FieldSchema } from '@/components/SchemaForm/types';

/** Filters kept in the URL query next to page and page_size. */
export const FILTER_KEYS = ['actor_id', 'entity_type', 'entity_id', 'from', 'to'] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];

export const ENTITY_TYPES = ['user', 'session', 'customer', 'price_plan', 'bill', 'payment', 'allocation', 'usage', 'settings'];

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
    const pair = asPair(changes[field]);
    if (!pair) return null;
    rows.push({ field, ...pair });
  }
  return rows;
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
