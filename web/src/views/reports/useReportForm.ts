import { computed, inject, provide, reactive, ref, shallowRef, type InjectionKey } from 'vue';
import { useI18n } from 'vue-i18n';
import type { ApiError } from '@/api/http';
import type { FilterOp, ReportDataset, ReportDatasetKey, ReportDefinition } from '@/api/types';
import * as rules from './builder';
import type { ReportForm, Say } from './builder';

/**
 * The builder's state, shared by its parts (dataset, columns, filters, grouping) through
 * provide/inject: the catalogue from the server, the form, and the problems placed on
 * its parts (the client's own checks and the server's 400 details alike).
 */
export function useReportForm() {
  const { t } = useI18n();
  const catalogue = shallowRef<ReportDataset[]>([]);
  // Until the catalogue arrives there is nothing to pick; the first dataset then replaces this.
  const form = reactive<ReportForm>(rules.emptyForm('customers'));
  const errors = ref(rules.noErrors());
  const dataset = computed(() => catalogue.value.find((d) => d.key === form.dataset));
  const definition = computed<ReportDefinition>(() => rules.toDefinition(form));
  const column = (key: string) => rules.columnOf(dataset.value, key);

  const say: Say = (code, params) =>
    t(`reports.problem.${code}`, { ...params, kind: params.kind ? t(`reports.valueForm.${params.kind}`) : '' });

  /** The form as it was sent, for reading the server's indices against. */
  const snapshot = (): ReportForm => ({ ...form, columns: [...form.columns], filters: form.filters.map((r) => ({ ...r })), group_by: [...form.group_by], sums: [...form.sums] });

  function load(next: ReportDefinition) {
    Object.assign(form, rules.fromDefinition(next));
    errors.value = rules.noErrors();
  }

  function reset(key?: ReportDatasetKey) {
    Object.assign(form, rules.emptyForm(key ?? catalogue.value[0]?.key ?? form.dataset));
    errors.value = rules.noErrors();
  }

  /** The client's checks; true when there is nothing to fix. */
  function check(): boolean {
    const problems = rules.checkForm(form, dataset.value, say);
    errors.value = rules.placeErrors(problems, snapshot());
    return problems.length === 0;
  }

  /** A refusal on its parts: the 400's details where they point, else the message above the builder. */
  function showFailure(error: ApiError, sent: ReportForm) {
    const placed = rules.placeErrors(error.details.filter((d) => d.field !== 'name'), sent);
    if (!rules.hasErrors(placed) && error.fieldMessage('name') === undefined) placed.other.push(error.message);
    errors.value = placed;
  }

  const clear = (part: 'columns' | 'filters' | 'group_by' | 'sums') => {
    const next = { ...errors.value, [part]: '' };
    if (part === 'columns') next.column = {};
    if (part === 'filters') next.filter = {};
    errors.value = next;
  };

  const edit = {
    dataset(key: ReportDatasetKey) {
      if (key !== form.dataset) reset(key);
    },
    toggle(key: string, on: boolean) {
      rules.toggleColumn(form, key, on);
      clear('columns');
    },
    move(index: number, delta: -1 | 1) {
      rules.moveColumn(form, index, delta);
    },
    groupBy(keys: string[]) {
      rules.setGroupBy(form, keys);
      clear('group_by');
      clear('columns');
    },
    sums(keys: string[]) {
      rules.setSums(form, keys);
      clear('sums');
      clear('columns');
    },
    addFilter() {
      form.filters.push(rules.filterRow());
    },
    removeFilter(id: number) {
      form.filters = form.filters.filter((r) => r.id !== id);
      clear('filters');
    },
    filterColumn(id: number, key: string) {
      const row = form.filters.find((r) => r.id === id);
      if (row) rules.changeFilterColumn(row, column(key), column(row.column));
      clearFilter(id);
    },
    filterOp(id: number, op: FilterOp) {
      const row = form.filters.find((r) => r.id === id);
      if (row) rules.changeFilterOp(row, op);
      clearFilter(id);
    },
    filterValue(id: number, value: string) {
      const row = form.filters.find((r) => r.id === id);
      if (row) row.value = value;
      clearFilter(id);
    },
  };

  function clearFilter(id: number) {
    if (!errors.value.filter[id]) return;
    const filter = { ...errors.value.filter };
    delete filter[id];
    errors.value = { ...errors.value, filter };
  }

  return { catalogue, form, errors, dataset, definition, column, load, reset, check, showFailure, snapshot, edit };
}

export type ReportFormState = ReturnType<typeof useReportForm>;

const KEY: InjectionKey<ReportFormState> = Symbol('report-form');

export const provideReportForm = (state: ReportFormState) => provide(KEY, state);

export function useInjectedReportForm(): ReportFormState {
  const state = inject(KEY);
  if (!state) throw new Error('the report builder parts need useReportForm() provided by the page');
  return state;
}
