import { computed, onMounted, ref, type Ref } from 'vue';
import { useI18n } from 'vue-i18n';
import type { TableColumnData } from '@arco-design/web-vue';
import { listOwnerOptions } from '@/api/customers';
import { listPricePlans } from '@/api/pricing';
import type { BatchAction, BatchFilter, OwnerOption } from '@/api/types';
import { IconPlus } from '@arco-design/web-vue/es/icon';
import type { ListAction } from '@/components/list/types';
import type { FieldOption, FieldSchema } from '@/components/SchemaForm/types';
import { presentFilters } from '@/hooks/useListQuery';
import { useColumnFactory } from '@/utils/columns';
import { ACCOUNT_STATUSES, INDUSTRIES, LEVELS, SERIES, type Industry } from '@/utils/customer-rules';

/** i18n keys (under `customers.industries.`) of the industry dictionary values. */
export const INDUSTRY_KEYS: Record<Industry, string> = {
  房地产开发: 'realEstateDevelopment',
  物业管理: 'propertyManagement',
  长租公寓: 'rentalApartment',
  酒店: 'hotel',
  商业地产: 'commercialRealEstate',
  其他: 'other',
};

/** Labels for dictionary values; unknown values show as they are. */
export function useCustomerLabels() {
  const { t } = useI18n();
  return {
    industry: (value: string | null | undefined) =>
      value ? (Object.hasOwn(INDUSTRY_KEYS, value) ? t(`customers.industries.${INDUSTRY_KEYS[value as Industry]}`) : value) : '—',
    status: (value: string) => t(`customerStatus.${value}`),
    field: (field: string) => t(`customers.fields.${field}`),
  };
}

/** 客户列表's button, after 导出 (none while showing deleted customers). */
export const LIST_ACTIONS: ListAction[] = [
  { label: 'customers.create', icon: IconPlus, to: '/customers/new', testId: 'create-customer', permission: 'customers.edit', primary: true },
];

/** Filters kept in the URL query next to page and page_size (`sort` and `deleted` too). */
export const FILTER_KEYS = [
  'q',
  'status',
  'level',
  'industry',
  'series',
  'owner_id',
  'region',
  'tags',
  'signed_from',
  'signed_to',
  'plan_id',
  'sort',
  'deleted',
] as const;
export type FilterKey = (typeof FILTER_KEYS)[number];
export type Filters = Record<FilterKey, string>;

/** Columns the server sorts by (`sort=field` / `sort=-field`). */
export const SORTABLE = ['customer_code', 'company_name', 'level', 'account_status', 'signed_at', 'contract_end_at', 'created_at', 'updated_at'];

/** Columns the user may hide or show; the name and the actions always show. */
export const OPTIONAL_COLUMNS = [
  'customer_code',
  'account_status',
  'level',
  'industry',
  'region',
  'device_series',
  'sales_owner',
  'ops_owner',
  'contact_name',
  'contact_phone',
  'account_id',
  'tags',
  'price_plan',
  'signed_at',
  'contract_end_at',
  'payment_terms_days',
  'created_at',
  'updated_at',
] as const;
export const DEFAULT_COLUMNS = [
  'customer_code',
  'account_status',
  'level',
  'industry',
  'region',
  'device_series',
  'sales_owner',
  'ops_owner',
  'tags',
  'price_plan',
  'contract_end_at',
];

/** Columns and filters only roles that see pricing get. */
export const PRICING_COLUMNS = ['price_plan'];

/** Most customers "select all matching the filter" may take (the server's bound). */
export const MAX_FILTERED = 5000;

const WIDTHS: Record<string, number> = {
  customer_code: 140,
  account_status: 140,
  level: 116,
  industry: 110,
  region: 120,
  device_series: 130,
  sales_owner: 130,
  ops_owner: 150,
  contact_name: 100,
  contact_phone: 140,
  account_id: 150,
  tags: 180,
  price_plan: 150,
  signed_at: 126,
  contract_end_at: 136,
  payment_terms_days: 110,
  created_at: 170,
  updated_at: 170,
};

export function useColumns(visible: Ref<string[]>) {
  const { t } = useI18n();
  const field = useColumnFactory('customers.fields', { sortable: SORTABLE });
  return computed<TableColumnData[]>(() => {
    const column = (key: string) => field(key, { width: WIDTHS[key], ellipsis: key !== 'tags', tooltip: key !== 'tags' });
    const columns: TableColumnData[] = [];
    if (visible.value.includes('customer_code')) columns.push(column('customer_code'));
    columns.push({ ...column('company_name'), width: undefined, minWidth: 220, fixed: 'left' });
    for (const key of visible.value) if (key !== 'customer_code') columns.push(column(key));
    columns.push({ title: t('customers.columns.actions'), slotName: 'actions', width: 130, fixed: 'right', align: 'center' });
    return columns;
  });
}

/** Active users for the owner pickers, loaded when the page opens. */
export function useOwnerOptions() {
  const owners = ref<OwnerOption[]>([]);
  onMounted(async () => {
    try {
      owners.value = await listOwnerOptions();
    } catch {
      // The message is shown; pickers stay empty.
    }
  });
  return owners;
}

/** A plan for the filter and the batch action. */
export interface PlanOption {
  id: number;
  name: string;
}

/** Live plans (first 200 by name) when the user sees pricing; `null` otherwise. */
export function usePlanOptions(canSee: () => boolean) {
  const plans = ref<PlanOption[] | null>(null);
  onMounted(async () => {
    if (!canSee()) return;
    try {
      const page = await listPricePlans({ page: 1, page_size: 200 });
      plans.value = page.items.map((p) => ({ id: p.id, name: p.name }));
    } catch {
      plans.value = [];
    }
  });
  return plans;
}

export function useSearchSchema(owners: Ref<OwnerOption[]>, plans: Ref<PlanOption[] | null> = ref(null)) {
  const { t } = useI18n();
  const labels = useCustomerLabels();
  return computed<FieldSchema[]>(() => {
    const all = t('customers.search.all');
    const ownerOptions: FieldOption[] = owners.value.map((o) => ({ value: String(o.id), label: o.display_name }));
    return [
      { field: 'q', label: t('customers.search.q'), component: 'input', placeholder: t('customers.search.qPlaceholder') },
      {
        field: 'status',
        label: t('customers.fields.account_status'),
        component: 'multiSelect',
        placeholder: all,
        options: ACCOUNT_STATUSES.map((value) => ({ value, label: t(`customerStatus.${value}`) })),
      },
      {
        field: 'level',
        label: t('customers.fields.level'),
        component: 'multiSelect',
        placeholder: all,
        options: LEVELS.map((value) => ({ value, label: value })),
      },
      {
        field: 'industry',
        label: t('customers.fields.industry'),
        component: 'multiSelect',
        placeholder: all,
        options: INDUSTRIES.map((value) => ({ value, label: labels.industry(value) })),
      },
      {
        field: 'series',
        label: t('customers.fields.device_series'),
        component: 'multiSelect',
        placeholder: all,
        options: SERIES.map((value) => ({ value, label: value })),
      },
      {
        field: 'owner_id',
        label: t('customers.search.owner'),
        component: 'select',
        placeholder: t('customers.search.ownerPlaceholder'),
        options: ownerOptions,
        props: { allowSearch: true },
      },
      { field: 'region', label: t('customers.fields.region'), component: 'input', placeholder: t('customers.search.regionPlaceholder') },
      { field: 'tags', label: t('customers.fields.tags'), component: 'inputTag', placeholder: t('customers.search.tagsPlaceholder') },
      ...(plans.value
        ? [
            {
              field: 'plan_id',
              label: t('customers.fields.price_plan'),
              component: 'select',
              placeholder: t('customers.search.planPlaceholder'),
              options: [
                { value: 'none', label: t('customers.search.noPlan') },
                ...plans.value.map((p) => ({ value: String(p.id), label: p.name })),
              ],
              props: { allowSearch: true },
            } satisfies FieldSchema,
          ]
        : []),
      {
        field: 'signed',
        label: t('customers.fields.signed_at'),
        component: 'dateRange',
        rangeFields: ['signed_from', 'signed_to'],
        props: { valueFormat: 'YYYY-MM-DD' },
      },
    ];
  });
}

/** i18n keys of the filters whose label is not simply the field's. */
export const FILTER_LABELS: Record<string, string> = {
  q: 'customers.search.q',
  status: 'customers.fields.account_status',
  series: 'customers.fields.device_series',
  owner_id: 'customers.search.owner',
  plan_id: 'customers.fields.price_plan',
  signed: 'customers.fields.signed_at',
};

export interface FilterChip {
  /** The filter keys the chip clears. */
  keys: FilterKey[];
  label: string;
  /** The values, labelled; a date range is one value. */
  values: string[];
}

/**
 * One chip per applied filter, labelled for people (statuses by name, owners by name);
 * the date range is one chip. `sort` and `deleted` are shown elsewhere.
 */
export function describeFilters(
  applied: Partial<Filters>,
  label: (key: string) => string,
  valueLabel: (key: FilterKey, value: string) => string,
): FilterChip[] {
  const chips: FilterChip[] = [];
  for (const key of FILTER_KEYS) {
    const value = applied[key];
    if (!value || key === 'sort' || key === 'deleted' || key === 'signed_from' || key === 'signed_to') continue;
    const values = value.split(',').filter(Boolean);
    chips.push({ keys: [key], label: label(key), values: values.map((v) => valueLabel(key, v)) });
  }
  const from = applied.signed_from;
  const to = applied.signed_to;
  if (from || to) chips.push({ keys: ['signed_from', 'signed_to'], label: label('signed'), values: [`${from || '…'} ~ ${to || '…'}`] });
  return chips;
}

/** Batch actions in toolbar order, and what each needs. */
export const BATCH_ACTIONS: BatchAction[] = [
  'assign_sales_owner',
  'assign_ops_owner',
  'set_level',
  'add_tag',
  'remove_tag',
  'change_status',
  'set_price_plan',
  'delete',
];

/**
 * Tag actions are open to sales on their own customers; setting a price plan needs
 * pricing.manage; the rest need customers.edit.
 */
export function allowedBatchActions(can: (permission: string) => boolean): BatchAction[] {
  if (can('customers.edit')) return BATCH_ACTIONS.filter((a) => a !== 'set_price_plan' || can('pricing.manage'));
  return can('customers.edit_contact') ? ['add_tag', 'remove_tag'] : [];
}

/** The applied list filters as `POST /customers/batch`'s `filter` (paging, sort and deleted left out). */
export function batchFilter(applied: Partial<Record<string, string>>): BatchFilter {
  const { sort: _sort, deleted: _deleted, ...filter } = presentFilters(applied, FILTER_KEYS);
  return filter;
}
