/**
 * The bill checks of the server (`crates/domain/src/billing/`: lines.rs for manual lines,
 * credit amounts and reasons, status.rs for which action a status allows; period.rs for
 * periods; `pricing/raw.rs` for how a decimal is read), mirrored so the dialogs and the
 * manual bill form mark a problem before anything is sent. The server stays the
 * authority: its 400 `details[].field` (`lines[2].unit_price`, `amount`, `reason`) land
 * on the same paths. Chinese messages are the server's, character for character (a few
 * come from the bills service rather than the domain crate, as noted).
 *
 * Line amounts are exact: quantity × unit price on scaled BigInt, rounded half-up to
 * 0.01 once per line (DESIGN.md §2); never a JS number.
 *
 * Pure TypeScript, no Vue: the pages and the tests share it.
 */
import type { BillStatus, BillSummary, ManualBillInput } from '@/api/types';
import { addDecimal, compareDecimal, multiplyDecimal, roundHalfUp, toScaled } from './decimal';
import { AMOUNT_MAX, AMOUNT_SCALE, toCents } from './money';
import { currentPeriod } from './pricing-rules';
import { checkCents, checkReasonText, problemMaker, readDecimalField, type RuleError } from './rules';

export type { RuleError };
export { AMOUNT_SCALE, toCents };

export const BILL_STATUSES: readonly BillStatus[] = ['draft', 'issued', 'partially_paid', 'paid', 'void'];
export const BILL_KINDS = ['auto', 'manual'] as const;
/** The warnings a draft may carry (docs/api/bills.md). */
export const WARNING_CODES = [
  'NO_PRICE_PLAN',
  'PRICING_FAILED',
  'USAGE_MISSING',
  'USAGE_SPIKE',
  'USAGE_DROPPED',
  'AMOUNT_ZERO',
  'AMOUNT_TOO_LARGE',
  'QUARANTINE_PENDING',
  'LATE_USAGE',
  'SERIES_NOT_SUBSCRIBED',
] as const;
/** Why a generation run left a customer out. */
export const SKIP_REASONS = ['CUSTOMER_TRIAL', 'CUSTOMER_CLOSED', 'NO_USAGE'] as const;

/** lines.rs MAX_MANUAL_LINES, MAX_DESCRIPTION, MAX_REASON. */
export const MAX_MANUAL_LINES = 50;
export const DESCRIPTION_MAX = 100;
export const REASON_MAX = 500;
/** `POST /bills/batch-issue` takes at most this many ids. */
export const BATCH_ISSUE_MAX = 1000;
/** rust_decimal's largest mantissa: a product beyond it is out of range. */
const DECIMAL_MAX = 79228162514264337593543950335n;

// ---- messages (verbatim from the server) --------------------------------------------

export const BILL_MESSAGES = {
  required: '请填写{}',
  notANumber: '{}不是有效的数字',
  tooManyDecimals: '{}最多保留 {} 位小数',
  outOfRange: '{}超出允许范围',
  negative: '{}不能为负数',
  notPositive: '{}必须大于 0',
  linesRequired: '请至少填写一行账单明细',
  tooManyLines: '账单明细最多 {} 行',
  descriptionRequired: '请填写明细说明',
  descriptionTooLong: '明细说明不能超过 {} 个字',
  amountWithPrice: '填写了数量和单价时金额自动计算，请不要同时填写金额',
  /** lines.rs: every line may be at most AMOUNT_MAX, and so may their sum. */
  totalTooLarge: '账单合计金额超出允许范围（单张账单最多 {}）',
  reasonTooLong: '{}不能超过 {} 个字',
  periodFormat: '{}格式应为 YYYY-MM，如 2026-03',
  periodYear: '{}年份须在 2000 至 2100 之间',
  periodMonth: '{}月份须在 01 至 12 之间',
  /** PERIOD_IN_FUTURE (the server's bills service, not the contract). */
  periodInFuture: '{}不能晚于本月',
  /** The server's bills service (not the contract). */
  customerRequired: '请选择客户',
  // status.rs: the 409s, shown before the click when the client already knows.
  invalidStatus: '账单当前状态为「{}」，不能{}',
  warningsNotAcknowledged: '账单有 {} 条校验警告，请核对后确认再出账',
  notPriced: '客户没有生效的定价方案，账单无法出账；请分配定价方案后重新生成',
  amountTooLarge: '账单金额超出系统可处理范围，无法出账；请核对用量和单价后重新生成',
  hasAllocations: '账单已有核销记录，不能作废；请先撤销核销',
  creditExceedsOutstanding: '红冲金额 {} 超过账单未结金额 {}',
} as const;

/** The Chinese names the server puts in front of a value's problem ("单价不能为负数"). */
export const BILL_LABELS = {
  period: '账期',
  quantity: '数量',
  unitPrice: '单价',
  amount: '金额',
  creditAmount: '红冲金额',
  voidReason: '作废原因',
  /** lines.rs takes the label from the caller: the bills service's. */
  creditReason: '红冲原因',
} as const;
export type BillLabel = keyof typeof BILL_LABELS;

/** status.rs `BillStatus::label`. */
export const STATUS_LABELS: Record<BillStatus, string> = {
  draft: '草稿',
  issued: '未结算',
  partially_paid: '部分结算',
  paid: '已结算',
  void: '作废',
};

/** i18n keys live under `bills.rules.`; `params.label` under `bills.labels.`. */
const problem = problemMaker(BILL_MESSAGES);

// ---- periods --------------------------------------------------------------------------

/** The month before `period` (`2026-01` → `2025-12`); the text itself when malformed. */
export function previousPeriod(period: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(period);
  if (!m) return period;
  const year = Number(m[1]);
  const month = Number(m[2]);
  return month === 1 ? `${year - 1}-12` : `${year}-${String(month - 1).padStart(2, '0')}`;
}

/** Last month in China: the period a billing run usually makes. */
export const lastPeriod = (now = Date.now()) => previousPeriod(currentPeriod(now));

/** After the current month (China time): nothing to bill yet. */
export const isFuturePeriod = (period: string, current = currentPeriod()) => period > current;

/** period.rs `Period::field` with label 账期, then not after this month. */
export function checkPeriod(text: string, field = 'period', current = currentPeriod()): RuleError | null {
  const label = BILL_LABELS.period;
  const params = { label: 'period' };
  const trimmed = text.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'required', params, [label]);
  const m = /^(\d{4})-(\d{2})$/.exec(trimmed);
  if (!m) return problem(field, 'INVALID_PERIOD', 'periodFormat', params, [label]);
  const year = Number(m[1]);
  const month = Number(m[2]);
  if (year < 2000 || year > 2100) return problem(field, 'INVALID_PERIOD', 'periodYear', params, [label]);
  if (month < 1 || month > 12) return problem(field, 'INVALID_PERIOD', 'periodMonth', params, [label]);
  if (trimmed > current) return problem(field, 'PERIOD_IN_FUTURE', 'periodInFuture', params, [label]);
  return null;
}

// ---- one value ------------------------------------------------------------------------

export interface ValueCheck {
  /** After parsing: `nonNegative` (manual lines) or `positive` (credit notes). */
  sign: 'nonNegative' | 'positive';
  /** Whole cents and at most AMOUNT_MAX (amounts), checked last as the server does. */
  cents?: boolean;
}

/**
 * One decimal field, in the server's order: present, a plain decimal with at most four
 * decimals within the stored range (raw.rs `decimal_field`), then the sign, then cents.
 */
export function checkValue(text: string, field: string, label: BillLabel, check: ValueCheck): RuleError | null {
  const at = { field, label, name: BILL_LABELS[label] };
  const { error, read } = readDecimalField(text, at, problem);
  if (error) return error;
  if (check.sign === 'positive' && read.value <= 0n) return problem(field, 'NOT_POSITIVE', 'notPositive', { label }, [at.name]);
  if (check.sign === 'nonNegative' && read.value < 0n) return problem(field, 'NEGATIVE', 'negative', { label }, [at.name]);
  return check.cents ? checkCents(read, at, problem) : null;
}

/** A void's or credit note's reason: 1–500 characters (lines.rs `validate_reason`). */
export function checkReason(text: string, label: 'voidReason' | 'creditReason', field = 'reason'): RuleError | null {
  return checkReasonText(text, { field, label, name: BILL_LABELS[label] }, REASON_MAX, problem);
}

/** A credit note's amount: > 0, whole cents, at most the outstanding amount. */
export function checkCreditAmount(text: string, outstanding: string, field = 'amount'): RuleError | null {
  const invalid = checkValue(text, field, 'creditAmount', { sign: 'positive', cents: true });
  if (invalid) return invalid;
  const amount = toCents(text);
  if (compareDecimal(amount, outstanding) > 0) {
    return problem(field, 'CREDIT_EXCEEDS_OUTSTANDING', 'creditExceedsOutstanding', { amount, outstanding }, [amount, outstanding]);
  }
  return null;
}

// ---- status (status.rs) ----------------------------------------------------------------

type StatusFacts = Pick<BillSummary, 'status' | 'allocated' | 'warnings'>;

const isZero = (amount: string) => compareDecimal(amount, '0') === 0;

/** A draft without a price plan has nothing to charge and is never issued. */
export const isUnpriced = (bill: Pick<BillSummary, 'warnings'>) =>
  bill.warnings.some((w) => w.code === 'NO_PRICE_PLAN' || w.code === 'PRICING_FAILED');

/** Why the bill cannot be issued now (the server's 409 words), or null. */
export function issueBlocker(bill: StatusFacts): RuleError | null {
  if (bill.status !== 'draft') return problem('status', 'INVALID_BILL_STATUS', 'invalidStatus', { status: bill.status, action: 'issue' }, [STATUS_LABELS[bill.status], '出账']);
  if (bill.warnings.some((w) => w.code === 'AMOUNT_TOO_LARGE')) return problem('status', 'AMOUNT_TOO_LARGE', 'amountTooLarge');
  if (isUnpriced(bill)) return problem('status', 'BILL_NOT_PRICED', 'notPriced');
  return null;
}

/** Draft or issued, and nothing allocated. */
export function voidBlocker(bill: StatusFacts): RuleError | null {
  if (!isZero(bill.allocated)) return problem('status', 'BILL_HAS_ALLOCATIONS', 'hasAllocations');
  if (bill.status !== 'draft' && bill.status !== 'issued') {
    return problem('status', 'INVALID_BILL_STATUS', 'invalidStatus', { status: bill.status, action: 'void' }, [STATUS_LABELS[bill.status], '作废']);
  }
  return null;
}

/** Issued or partially paid, with something still outstanding. */
export function creditBlocker(bill: StatusFacts): RuleError | null {
  if (bill.status !== 'issued' && bill.status !== 'partially_paid') {
    return problem('status', 'INVALID_BILL_STATUS', 'invalidStatus', { status: bill.status, action: 'credit' }, [STATUS_LABELS[bill.status], '红冲调整']);
  }
  return null;
}

// ---- manual bills ----------------------------------------------------------------------

/** `priced`: quantity × unit price; `amount`: an amount as it is. */
export type LineMode = 'priced' | 'amount';

export interface ManualLineDraft {
  /** Stable row key for the table. */
  key: number;
  mode: LineMode;
  description: string;
  quantity: string;
  unit_price: string;
  amount: string;
}

/** The form's model, shaped like the request so the server's paths (`lines[2].amount`) fit. */
export interface ManualBillForm {
  customer_id: number | null;
  period: string;
  lines: ManualLineDraft[];
  remarks: string;
}

let nextKey = 1;
export const emptyLine = (mode: LineMode = 'priced'): ManualLineDraft => ({ key: nextKey++, mode, description: '', quantity: '', unit_price: '', amount: '' });

export function emptyManualBill(customerId: number | null = null, period = lastPeriod()): ManualBillForm {
  return { customer_id: customerId, period, lines: [emptyLine()], remarks: '' };
}

/** Every problem of one line, at `lines[i].…`, in the server's order. */
export function checkManualLine(line: ManualLineDraft, index: number): RuleError[] {
  const at = (name: string) => `lines[${index}].${name}`;
  const errors: RuleError[] = [];
  const description = line.description.trim();
  if (description === '') errors.push(problem(at('description'), 'REQUIRED', 'descriptionRequired'));
  else if (Array.from(description).length > DESCRIPTION_MAX) {
    errors.push(problem(at('description'), 'TOO_LONG', 'descriptionTooLong', { max: DESCRIPTION_MAX }, [DESCRIPTION_MAX]));
  }
  if (line.mode === 'priced') {
    const quantity = checkValue(line.quantity, at('quantity'), 'quantity', { sign: 'nonNegative' });
    const unitPrice = checkValue(line.unit_price, at('unit_price'), 'unitPrice', { sign: 'nonNegative' });
    for (const e of [quantity, unitPrice]) if (e) errors.push(e);
    if (!quantity && !unitPrice && rawLineAmount(line) === null) errors.push(problem(at('amount'), 'OUT_OF_RANGE', 'outOfRange', { label: 'amount' }, [BILL_LABELS.amount]));
  } else {
    const amount = checkValue(line.amount, at('amount'), 'amount', { sign: 'nonNegative', cents: true });
    if (amount) errors.push(amount);
  }
  return errors;
}

/** The exact amount of a priced line (quantity × unit price), or null when its amount is out of range. */
function rawLineAmount(line: ManualLineDraft): string | null {
  const product = multiplyDecimal(line.quantity.trim(), line.unit_price.trim());
  const scaled = toScaled(product);
  if (!scaled) return null;
  const magnitude = scaled.value < 0n ? -scaled.value : scaled.value;
  if (magnitude / 10n ** BigInt(scaled.scale) > DECIMAL_MAX) return null;
  return compareDecimal(roundHalfUp(product, AMOUNT_SCALE), AMOUNT_MAX) > 0 ? null : product;
}

export interface LineAmount {
  /** Exact: the product, or the amount as typed. */
  raw: string;
  /** Rounded half-up to 0.01: what the line charges. */
  amount: string;
}

/** A line's amount as the server will compute it, or null while the line's values are not valid. */
export function lineAmount(line: ManualLineDraft): LineAmount | null {
  if (line.mode === 'priced') {
    if (checkValue(line.quantity, 'q', 'quantity', { sign: 'nonNegative' }) || checkValue(line.unit_price, 'p', 'unitPrice', { sign: 'nonNegative' })) return null;
    const raw = rawLineAmount(line);
    return raw === null ? null : { raw, amount: roundHalfUp(raw, AMOUNT_SCALE) };
  }
  if (checkValue(line.amount, 'a', 'amount', { sign: 'nonNegative', cents: true })) return null;
  return { raw: line.amount.trim(), amount: toCents(line.amount) };
}

/** Σ of the lines' rounded amounts (the bill's subtotal); `complete` once every line has one. */
export function manualSubtotal(lines: readonly ManualLineDraft[]): { amount: string; complete: boolean } {
  let amount = '0.00';
  let complete = true;
  for (const line of lines) {
    const computed = lineAmount(line);
    if (computed) amount = addDecimal(amount, computed.amount);
    else complete = false;
  }
  return { amount, complete };
}

/** Every problem of the form, at the request's paths. */
export function validateManualBill(form: ManualBillForm, current = currentPeriod()): RuleError[] {
  const errors: RuleError[] = [];
  if (form.customer_id === null) errors.push(problem('customer_id', 'REQUIRED', 'customerRequired'));
  const period = checkPeriod(form.period, 'period', current);
  if (period) errors.push(period);
  if (form.lines.length === 0) errors.push(problem('lines', 'REQUIRED', 'linesRequired'));
  else if (form.lines.length > MAX_MANUAL_LINES) errors.push(problem('lines', 'TOO_MANY_LINES', 'tooManyLines', { max: MAX_MANUAL_LINES }, [MAX_MANUAL_LINES]));
  else form.lines.forEach((line, i) => errors.push(...checkManualLine(line, i)));
  if (errors.length === 0) {
    const subtotal = manualSubtotal(form.lines);
    if (subtotal.complete && compareDecimal(subtotal.amount, AMOUNT_MAX) > 0) {
      errors.push(problem('lines', 'OUT_OF_RANGE', 'totalTooLarge', { max: AMOUNT_MAX }, [AMOUNT_MAX]));
    }
  }
  return errors;
}

/** The request body: trimmed text; a line sends quantity and unit price, or an amount. */
export function manualBillRequest(form: ManualBillForm): ManualBillInput {
  const remarks = form.remarks.trim();
  return {
    customer_id: form.customer_id ?? 0,
    period: form.period.trim(),
    lines: form.lines.map((line) =>
      line.mode === 'priced'
        ? { description: line.description.trim(), quantity: line.quantity.trim(), unit_price: line.unit_price.trim() }
        : { description: line.description.trim(), amount: line.amount.trim() },
    ),
    ...(remarks ? { remarks } : {}),
  };
}
