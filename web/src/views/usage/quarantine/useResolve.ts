import { computed, reactive, ref } from 'vue';
import { isApiError } from '@/api/http';
import { resolveQuarantine, resolveQuarantineBulk } from '@/api/usage';
import type { QuarantineFilter, QuarantineItem, ResolveAction, ResolveRequest, ResolveResponse } from '@/api/types';
import i18n from '@/locale';
import type { RuleError } from '@/utils/customer-rules';
import { ACCEPTABLE_REASONS, checkDay, checkQuantity, checkSeries } from '@/utils/usage-rules';
import { usageRuleMessage } from '../messages';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));
export const NOTE_MAX = 500;
/** The server's bound on a resolution by filter. */
export const MAX_FILTER_BULK = 10_000;

/** Every pending record matching the list's filter, and how many the list counted. */
export interface FilterTarget {
  filter: QuarantineFilter;
  count: number;
}

export interface ResolveDraft {
  action: ResolveAction | '';
  customer_id: number | null;
  series: string;
  day: string;
  quantity: string;
  note: string;
}

/** `accept` is only for OVER_LIMIT and USAGE_EXISTS records: offered when every chosen record is one. */
const acceptableReason = (reason: string | undefined) => !!reason && (ACCEPTABLE_REASONS as readonly string[]).includes(reason);
export function actionsFor(items: readonly QuarantineItem[]): ResolveAction[] {
  const acceptable = items.length > 0 && items.every((i) => acceptableReason(i.reason));
  return acceptable ? ['map_account', 'correct', 'accept', 'discard'] : ['map_account', 'correct', 'discard'];
}

/** A draft for one record starts from its values; for many, from nothing. */
export function draftFor(items: readonly QuarantineItem[]): ResolveDraft {
  const one = items.length === 1 ? items[0] : undefined;
  return {
    action: '',
    customer_id: one?.customer_id ?? null,
    series: one?.series ?? '',
    day: one?.day ?? '',
    quantity: one?.quantity ?? '',
    note: '',
  };
}

/**
 * The request for a draft, or the problems that keep it from being sent. `correct` sends
 * only what differs from the record (every filled value, for many records).
 */
export function buildResolve(draft: ResolveDraft, items: readonly QuarantineItem[]): { body: ResolveRequest } | { errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const note = draft.note.trim();
  const fail = (e: RuleError | null) => e && (errors[e.field] = usageRuleMessage(e));
  if (!draft.action) return { errors: { action: t('usage.quarantine.actionRequired') } };
  if (note.length > NOTE_MAX) errors.note = t('usage.quarantine.noteTooLong', { max: NOTE_MAX });
  const body: ResolveRequest = { action: draft.action, ...(note ? { note } : {}) };

  if (draft.action === 'map_account') {
    if (draft.customer_id === null) errors.customer_id = t('usage.quarantine.customerRequired');
    else body.customer_id = draft.customer_id;
  } else if (draft.action === 'correct') {
    const one = items.length === 1 ? items[0] : undefined;
    const changed = (value: string, before: string | null | undefined) => value.trim() !== '' && value.trim() !== (before ?? '');
    if (draft.customer_id !== null && draft.customer_id !== one?.customer_id) body.customer_id = draft.customer_id;
    if (changed(draft.series, one?.series)) {
      fail(checkSeries(draft.series));
      body.series = draft.series.trim().toUpperCase();
    }
    if (changed(draft.day, one?.day)) {
      fail(checkDay(draft.day));
      body.day = draft.day.trim();
    }
    if (changed(draft.quantity, one?.quantity)) {
      fail(checkQuantity(draft.quantity));
      body.quantity = draft.quantity.trim();
    }
  } else if (draft.action === 'accept') {
    if (!items.every((i) => acceptableReason(i.reason))) errors.action = t('usage.quarantine.acceptOnlyOverLimit');
  } else if (!note) {
    errors.note = t('usage.quarantine.noteRequired');
  }
  return Object.keys(errors).length ? { errors } : { body };
}

export type ResolveOutcome = { kind: 'done'; answer: ResolveResponse } | { kind: 'already' } | { kind: 'failed' };

/** The resolve dialog's state for the records it was opened on. */
export function useResolve() {
  const items = ref<QuarantineItem[]>([]);
  const draft = reactive<ResolveDraft>(draftFor([]));
  const errors = ref<Record<string, string>>({});
  const target = ref<FilterTarget | null>(null);
  const actions = computed<ResolveAction[]>(() => {
    const byFilter = target.value;
    if (!byFilter) return actionsFor(items.value);
    return acceptableReason(byFilter.filter.reason ?? undefined) ? ['map_account', 'correct', 'accept', 'discard'] : ['map_account', 'correct', 'discard'];
  });

  /** For the chosen records, or (`filter`) for every pending record the list's filter matches. */
  function open(chosen: QuarantineItem[], filter: FilterTarget | null = null) {
    target.value = filter;
    items.value = chosen;
    Object.assign(draft, draftFor(chosen));
    errors.value = {};
  }

  async function submit(): Promise<ResolveOutcome | null> {
    const built = buildResolve(draft, items.value);
    if ('errors' in built) {
      errors.value = built.errors;
      return null;
    }
    errors.value = {};
    try {
      const [first] = items.value;
      const byFilter = target.value;
      const answer = byFilter
        ? await resolveQuarantineBulk({ ...built.body, filter: byFilter.filter }, { silent: true })
        : items.value.length === 1 && first
          ? await resolveQuarantine(first.id, built.body, { silent: true })
          : await resolveQuarantineBulk({ ...built.body, ids: items.value.map((i) => i.id) }, { silent: true });
      return { kind: 'done', answer };
    } catch (error) {
      if (!isApiError(error)) throw error;
      if (error.status === 409 && error.code === 'ALREADY_RESOLVED') return { kind: 'already' };
      const placed: Record<string, string> = {};
      for (const d of error.details) if (d.field && !placed[d.field]) placed[d.field] = d.message;
      errors.value = Object.keys(placed).length ? placed : { form: error.message };
      return { kind: 'failed' };
    }
  }

  return { items, target, draft, errors, actions, open, submit };
}
