/**
 * The price rule checks of the server (`crates/domain/src/pricing/`: raw.rs, rule.rs,
 * values.rs, plan.rs; `crates/server/src/pricing/service.rs` for name and reason),
 * mirrored so the editor marks a problem on its cell before anything is sent. The
 * server stays the authority: its 400 `details[].field` (`rules.X.tiers[1].up_to`)
 * land on the same paths. Chinese messages are the server's, character for character.
 *
 * Pure TypeScript, no Vue: the editor, the calculator and the tests share it.
 */
import type { DeviceSeries, PriceRule, PriceTier, PricingMode, SeriesRules } from '@/api/types';
import { compareDecimal } from './decimal';
import { AMOUNT_MAX } from './money';
import { problemMaker, readDecimalField, SCALE, type RuleError } from './rules';

export type { RuleError };
export { AMOUNT_MAX, SCALE };

export const SERIES_ORDER: readonly DeviceSeries[] = ['X', 'N', 'L'];
export const MODES: readonly PricingMode[] = ['flat', 'graduated', 'volume'];
/** rule.rs MAX_TIERS */
export const MAX_TIERS = 50;
export const PLAN_NAME_MAX = 100;
export const REASON_MAX = 500;
/** Prices, bounds and usage: four decimals (SCALE, DESIGN.md §2); the minimum charge: whole cents. */
export const MINIMUM_SCALE = 2;

// ---- messages (verbatim from the server) ----------------------------------------

export const PRICING_MESSAGES = {
  required: '请填写{}',
  notANumber: '{}不是有效的数字',
  tooManyDecimals: '{}最多保留 {} 位小数',
  outOfRange: '{}超出允许范围',
  negative: '{}不能为负数',
  notPositive: '{}必须大于 0',
  modeRequired: '请选择计价模式',
  tiersRequired: '至少需要一个阶梯',
  tooManyTiers: '阶梯不能超过 {} 个',
  upToNotIncreasing: '阶梯上限必须大于上一阶梯的上限 {}',
  unboundedNotLast: '只有最后一个阶梯可以不设上限',
  nameRequired: '请填写方案名称',
  nameTooLong: '方案名称不能超过 100 个字符',
  reasonRequired: '请填写调整原因',
  reasonTooLong: '原因不能超过 500 个字符',
  periodRequired: '请填写生效月份',
} as const;

/** The Chinese labels the server puts in front of a value's problem ("单价最多保留 4 位小数"). */
export const VALUE_LABELS = {
  unitPrice: '单价',
  upTo: '阶梯上限',
  minimumCharge: '保底金额',
  usage: '用量',
} as const;
export type ValueLabel = keyof typeof VALUE_LABELS;

const problem = problemMaker(PRICING_MESSAGES);

// ---- one value ----------------------------------------------------------------

export interface DecimalCheck {
  /** At most four decimals, within the stored range (an i64 of 0.0001 units), ≥ 0. */
  scale?: number;
  /** `up_to`: strictly greater than 0. */
  positive?: boolean;
}

/**
 * The problem of one decimal field, as the server words it, or null. Empty text is
 * REQUIRED. Order as the server checks: format, decimals, range, sign.
 */
export function checkDecimal(text: string, field: string, label: ValueLabel, options: DecimalCheck = {}): RuleError | null {
  const name = VALUE_LABELS[label];
  const params = { label };
  const { error, read } = readDecimalField(text, { field, label, name }, problem);
  if (error) return error;
  if (options.scale !== undefined && read.decimals > options.scale) {
    return problem(field, 'TOO_MANY_DECIMALS', 'tooManyDecimals', { ...params, max: options.scale }, [name, options.scale]);
  }
  if (options.positive && read.units <= 0n) return problem(field, 'NOT_POSITIVE', 'notPositive', params, [name]);
  if (read.units < 0n) return problem(field, 'NEGATIVE', 'negative', params, [name]);
  return null;
}

/** A usage quantity (`usage`, `usage.X`): ≥ 0, four decimals. */
export const checkUsage = (text: string, field = 'usage') => checkDecimal(text, field, 'usage');

/** The optional minimum charge: empty is none; else ≥ 0 in whole cents. */
export function checkMinimumCharge(text: string, field = 'minimum_charge'): RuleError | null {
  if (text.trim() === '') return null;
  const invalid = checkDecimal(text, field, 'minimumCharge', { scale: MINIMUM_SCALE });
  if (invalid) return invalid;
  if (compareDecimal(text.trim(), AMOUNT_MAX) > 0) return problem(field, 'OUT_OF_RANGE', 'outOfRange', { label: 'minimumCharge' }, [VALUE_LABELS.minimumCharge]);
  return null;
}

// ---- the editor's drafts --------------------------------------------------------

/** One row of the tier table; the last row's `up_to` is not used (unbounded). */
export interface TierDraft {
  /** Stable row key for the table. */
  key: number;
  up_to: string;
  unit_price: string;
}

/**
 * A rule as the editor holds it: both the flat price and the tier rows, so switching
 * mode back and forth loses nothing. Only the part the mode uses is sent.
 */
export interface RuleDraft {
  mode: PricingMode;
  unit_price: string;
  tiers: TierDraft[];
}

let nextKey = 1;
export const tierRow = (up_to = '', unit_price = ''): TierDraft => ({ key: nextKey++, up_to, unit_price });

export function emptyDraft(mode: PricingMode = 'flat'): RuleDraft {
  return { mode, unit_price: '', tiers: [tierRow(), tierRow()] };
}

export function ruleToDraft(rule: PriceRule): RuleDraft {
  if (rule.mode === 'flat') return { mode: 'flat', unit_price: rule.unit_price, tiers: [tierRow(), tierRow()] };
  const tiers = rule.tiers.map((t) => tierRow(t.up_to ?? '', t.unit_price));
  return { mode: rule.mode, unit_price: rule.tiers[0]?.unit_price ?? '', tiers };
}

/** What the API receives: trimmed text, the last tier unbounded, an empty bound as null. */
export function draftToRule(draft: RuleDraft): PriceRule {
  if (draft.mode === 'flat') return { mode: 'flat', unit_price: draft.unit_price.trim() };
  const last = draft.tiers.length - 1;
  const tiers: PriceTier[] = draft.tiers.map((t, i) => ({
    up_to: i === last || t.up_to.trim() === '' ? null : t.up_to.trim(),
    unit_price: t.unit_price.trim(),
  }));
  return { mode: draft.mode, tiers };
}

/** A new bounded row just before the unbounded last one. */
export function addTier(draft: RuleDraft): void {
  if (draft.tiers.length >= MAX_TIERS) return;
  draft.tiers.splice(Math.max(draft.tiers.length - 1, 0), 0, tierRow());
}

/** Removes a row; one always stays. Removing the last row makes the one before it unbounded. */
export function removeTier(draft: RuleDraft, index: number): void {
  if (draft.tiers.length <= 1) return;
  draft.tiers.splice(index, 1);
}

// ---- a whole rule ---------------------------------------------------------------

const tierPath = (prefix: string, i: number, name: string) => `${prefix}.tiers[${i}].${name}`;

/**
 * Every problem of a rule at once, at the paths the server uses under `prefix`
 * (`rules.X` → `rules.X.unit_price`, `rules.X.tiers[1].up_to`).
 */
export function validateRule(draft: RuleDraft, prefix: string): RuleError[] {
  const errors: RuleError[] = [];
  const push = (e: RuleError | null) => e && errors.push(e);
  if (!MODES.includes(draft.mode)) return [problem(`${prefix}.mode`, 'REQUIRED', 'modeRequired')];
  if (draft.mode === 'flat') {
    push(checkDecimal(draft.unit_price, `${prefix}.unit_price`, 'unitPrice'));
    return errors;
  }
  const tiers = draft.tiers;
  if (tiers.length === 0) return [problem(`${prefix}.tiers`, 'REQUIRED', 'tiersRequired')];
  if (tiers.length > MAX_TIERS) errors.push(problem(`${prefix}.tiers`, 'TOO_MANY_TIERS', 'tooManyTiers', { max: MAX_TIERS }, [MAX_TIERS]));
  const last = tiers.length - 1;
  // The last valid bound so far: each bound must exceed it.
  let previous: string | null = null;
  tiers.forEach((tier, i) => {
    const field = tierPath(prefix, i, 'up_to');
    if (i < last) {
      if (tier.up_to.trim() === '') {
        errors.push(problem(field, 'UNBOUNDED_TIER_NOT_LAST', 'unboundedNotLast'));
      } else {
        const bad = checkDecimal(tier.up_to, field, 'upTo', { positive: true });
        if (bad) errors.push(bad);
        else {
          const bound = writtenDecimal(tier.up_to);
          if (previous !== null && compareDecimal(bound, previous) <= 0) {
            const before = previous;
            errors.push(problem(field, 'UP_TO_NOT_INCREASING', 'upToNotIncreasing', { before }, [before]));
          }
          previous = bound;
        }
      }
    }
    push(checkDecimal(tier.unit_price, tierPath(prefix, i, 'unit_price'), 'unitPrice'));
  });
  return errors;
}

/**
 * A bound as the server prints it in a message: as written, less a `+`, leading zeros
 * and zeros beyond the fourth decimal ("+01000.00" → "1000.00").
 */
export function writtenDecimal(text: string): string {
  const m = /^[+-]?(\d+)(?:\.(\d+))?$/.exec(text.trim());
  if (!m) return text.trim();
  const int = (m[1] ?? '').replace(/^0+(?=\d)/, '');
  let frac = m[2] ?? '';
  if (frac.length > SCALE) frac = frac.slice(0, SCALE);
  return `${text.trim().startsWith('-') ? '-' : ''}${int}${frac ? `.${frac}` : ''}`;
}

export function isRuleValid(draft: RuleDraft): boolean {
  return validateRule(draft, 'rule').length === 0;
}

// ---- the plan form --------------------------------------------------------------

export interface PlanForm {
  name: string;
  /** YYYY-MM */
  effective_from: string;
  /** Empty: no minimum. */
  minimum_charge: string;
  reason: string;
  rules: Record<DeviceSeries, RuleDraft>;
}

export type PlanFormMode = 'create' | 'version';

export function emptyPlanForm(period: string): PlanForm {
  return {
    name: '',
    effective_from: period,
    minimum_charge: '',
    reason: '',
    rules: { X: emptyDraft(), N: emptyDraft(), L: emptyDraft() },
  };
}

/** Every problem of the plan form, at the request's paths. */
export function validatePlanForm(form: PlanForm, mode: PlanFormMode): RuleError[] {
  const errors: RuleError[] = [];
  if (mode === 'create') {
    const name = form.name.trim();
    if (!name) errors.push(problem('name', 'REQUIRED', 'nameRequired'));
    else if ([...name].length > PLAN_NAME_MAX) errors.push(problem('name', 'TOO_LONG', 'nameTooLong', { max: PLAN_NAME_MAX }));
  }
  if (!form.effective_from) errors.push(problem('effective_from', 'REQUIRED', 'periodRequired'));
  const minimum = checkMinimumCharge(form.minimum_charge);
  if (minimum) errors.push(minimum);
  const reason = form.reason.trim();
  if (mode === 'version' && !reason) errors.push(problem('reason', 'REQUIRED', 'reasonRequired'));
  else if ([...reason].length > REASON_MAX) errors.push(problem('reason', 'TOO_LONG', 'reasonTooLong', { max: REASON_MAX }));
  for (const series of SERIES_ORDER) errors.push(...validateRule(form.rules[series], `rules.${series}`));
  return errors;
}

export function planRules(form: PlanForm): SeriesRules {
  return { X: draftToRule(form.rules.X), N: draftToRule(form.rules.N), L: draftToRule(form.rules.L) };
}

export const minimumOrNull = (text: string) => (text.trim() === '' ? null : text.trim());

// ---- paths ----------------------------------------------------------------------

/** `rules.X.tiers[1].up_to` → ['rules', 'X', 'tiers', 1, 'up_to']. */
export function splitPath(path: string): (string | number)[] {
  const parts: (string | number)[] = [];
  for (const segment of path.split('.')) {
    const m = /^([^[\]]*)((?:\[\d+\])*)$/.exec(segment);
    if (!m) {
      parts.push(segment);
      continue;
    }
    if (m[1]) parts.push(m[1]);
    for (const index of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) parts.push(Number(index[1]));
  }
  return parts;
}

/** The value at a request path in a form model (undefined when the path leads nowhere). */
export function valueAt(model: unknown, path: string): unknown {
  let current: unknown = model;
  for (const part of splitPath(path)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[part];
  }
  return current;
}

export interface FieldPath {
  series?: DeviceSeries;
  /** 0-based tier index. */
  tier?: number;
  /** mode, unit_price, up_to, tiers, effective_from, minimum_charge… */
  prop: string;
}

/** A diff or error path, read for a label: `rules.N.tiers[1].unit_price` → N, tier 1, unit_price. */
export function parseFieldPath(path: string): FieldPath {
  const parts = splitPath(path);
  const series = parts[1];
  if (parts[0] === 'rules' && (series === 'X' || series === 'N' || series === 'L')) {
    const rest = parts.slice(2);
    if (rest[0] === 'tiers' && typeof rest[1] === 'number') {
      return { series, tier: rest[1], prop: String(rest[2] ?? 'tier') };
    }
    return { series, prop: String(rest[0] ?? 'rule') };
  }
  return { prop: path };
}

// ---- periods --------------------------------------------------------------------

/** The business month (China Standard Time, UTC+8), as the server counts "this month". */
export function currentPeriod(now = Date.now()): string {
  const china = new Date(now + 8 * 3600 * 1000);
  return `${china.getUTCFullYear()}-${String(china.getUTCMonth() + 1).padStart(2, '0')}`;
}
