/**
 * The payment and write-off rules of the server (`crates/domain/src/payments/`: input.rs
 * for a receipt, allocation.rs for 核销 and 撤销核销; `pricing/raw.rs` for how an amount
 * is read), mirrored so the receipt form, the workbench and the dialogs mark a problem
 * before anything is sent. The server stays the authority: its 400 `details[].field`
 * (`amount`, `received_at`, `allocations[1].amount`) land on the same fields, and its
 * 409s (EXCEEDS_UNAPPLIED, EXCEEDS_OUTSTANDING, …) say the same words the workbench
 * already shows. Chinese messages are the server's, character for character (a Rust test
 * checks it); templates keep the server's placeholders and are filled in order.
 *
 * Money is exact: amounts are decimal strings computed on scaled BigInt (utils/decimal);
 * the workbench's remaining amount (unapplied − Σ entered) never passes through a number.
 *
 * Pure TypeScript, no Vue: the pages and the tests share it.
 */
import type {
  Allocation,
  AllocationLineInput,
  AllocationStatus,
  AllocationSuggestion,
  OpenBill,
  Payment,
  PaymentInput,
  PaymentMethod,
  PaymentPatch,
  PaymentSource,
  PaymentStatus,
  SuggestionKind,
} from '@/api/types';
import { clean, cleanName } from './customer-rules';
import { addDecimal, compareDecimal, subtractDecimal, toScaled } from './decimal';
import { AMOUNT_MAX, AMOUNT_SCALE, atLeastCents, toCents } from './money';
import { checkCents, checkReasonText, problemMaker, readDecimalField, type RuleError } from './rules';
import { isDay, todayChina } from './usage-rules';

export type { RuleError };
export { AMOUNT_SCALE, atLeastCents, toCents, todayChina };

// ---- codes and labels (input.rs) -----------------------------------------------------

/** `PaymentMethod::ALL`, in the server's order. */
export const PAYMENT_METHODS: readonly PaymentMethod[] = ['bank_transfer', 'cheque', 'cash', 'wechat', 'alipay', 'other'];
/** `PaymentMethod::label`. */
export const METHOD_LABELS: Record<PaymentMethod, string> = {
  bank_transfer: '银行转账',
  cheque: '支票',
  cash: '现金',
  wechat: '微信',
  alipay: '支付宝',
  other: '其他',
};
/** What a receipt usually is; a statement row without a 收款方式 column is one too. */
export const DEFAULT_METHOD: PaymentMethod = 'bank_transfer';

/** `PaymentStatus::ALL`. */
export const PAYMENT_STATUSES: readonly PaymentStatus[] = ['unapplied', 'partially_applied', 'applied'];
export const PAYMENT_STATUS_LABELS: Record<PaymentStatus, string> = {
  unapplied: '未核销',
  partially_applied: '部分核销',
  applied: '已核销',
};

export const PAYMENT_SOURCES: readonly PaymentSource[] = ['manual', 'import'];
export const ALLOCATION_STATUSES: readonly AllocationStatus[] = ['active', 'reversed'];
export const SUGGESTION_KINDS: readonly SuggestionKind[] = ['exact', 'subset', 'oldest_first'];

// ---- limits --------------------------------------------------------------------------

/** input.rs MAX_PAYER_NAME, MAX_REFERENCE, MAX_REMARKS. */
export const MAX_PAYER_NAME = 100;
export const MAX_REFERENCE = 64;
export const MAX_REMARKS = 500;
/** allocation.rs MAX_ALLOCATION_LINES: bills one request may touch. */
export const MAX_ALLOCATION_LINES = 200;
/** A reversal's or a deletion's reason: 1–500 characters (docs/api/payments.md). */
export const REASON_MAX = 500;
/** money.rs MAX_AMOUNT: 999,999,999,999.99. */
export { AMOUNT_MAX };
/** The earliest received date the server takes. */
export const EARLIEST_DAY = '2000-01-01';

// ---- messages (verbatim from the server) ---------------------------------------------

export const PAYMENT_MESSAGES = {
  // pricing/raw.rs `decimal_field` and `ValueError`, with the amount's label in front.
  required: '请填写{label}',
  notANumber: '{label}不是有效的数字',
  tooManyDecimals: '{label}最多保留 {max} 位小数',
  outOfRange: '{label}超出允许范围',
  notPositive: '{label}必须大于 0',
  // input.rs: a receipt.
  receivedAtRequired: '请填写到账日期',
  receivedAtInvalid: '到账日期格式不正确，请填写如 2026-11-20 的日期',
  receivedAtInFuture: '到账日期不能晚于今天',
  receivedAtTooEarly: '到账日期不能早于 2000 年',
  methodRequired: '请选择收款方式',
  methodInvalid: '收款方式不正确，可选：银行转账、支票、现金、微信、支付宝、其他',
  payerNameTooLong: '付款人名称不能超过 {MAX_PAYER_NAME} 个字',
  referenceTooLong: '流水号不能超过 {MAX_REFERENCE} 个字符',
  remarksTooLong: '备注不能超过 {MAX_REMARKS} 个字',
  // allocation.rs: the lines of an allocation request.
  allocationsRequired: '请至少选择一张账单并填写核销金额',
  tooManyLines: '一次最多核销 {MAX_ALLOCATION_LINES} 张账单',
  billRequired: '请选择要核销的账单',
  duplicateBill: '同一张账单在一次核销中只能出现一次',
  // allocation.rs `AllocationError`: the 409s, shown before the click when the client knows.
  paymentDeleted: '收款已删除，不能核销',
  billNotOpen: '账单 {bill_no} 当前状态为「{}」，只有未结算或部分结算的账单可以核销',
  customerMismatch: '账单 {bill_no} 不属于这笔收款的客户',
  mixedCustomers: '一笔收款只能核销同一个客户的账单',
  exceedsUnapplied: '核销合计 {requested} 超过收款的未核销金额 {unapplied}',
  exceedsOutstanding: '账单 {bill_no} 的核销金额 {amount} 超过其未结金额 {outstanding}',
  alreadyReversed: '这条核销记录已经撤销过了',
  hasAllocations: '收款已有核销记录，不能修改或删除；请先撤销核销',
  // billing/lines.rs `validate_reason`, which the payments service uses for a reversal's or a
  // deletion's reason (label 撤销原因 / 删除原因); 「请填写{label}」 above is its first message.
  reasonTooLong: '{label}不能超过 {max} 个字',
} as const;

/*
 * Written by the server and shown as sent (never built here), listed so a reader knows
 * the words. Suggestions (suggest.rs): 「账单 {}（{}）的未结金额与收款的未核销金额 {shown} 完全相同」,
 * 「{} 张账单的未结金额合计正好等于收款的未核销金额 {shown}」, 「按到期日从早到晚依次核销 {} 张账单」
 * plus 「，剩余 {} 留作预收款」 when money is left. Customers by payer name (payer.rs):
 * 「付款人名称与公司名称完全一致」 (100), 「去掉地名和公司后缀后名称一致（「{company_core}」）」 (95),
 * 「公司名称与付款人名称都含有「{short}」」 (65–90), 「名称有 {shared} 组相同的相邻字」 (40–80); a
 * name's core drops a leading place (北京, 广西壮族自治区, 宁夏回族自治区, 新疆维吾尔自治区, …),
 * bracketed parts and company forms (股份有限公司, 有限责任公司, 有限公司, 集团, …).
 */

/** The Chinese names the server puts in front of a value's problem ("收款金额必须大于 0"). */
export const PAYMENT_LABELS = {
  amount: '收款金额',
  allocationAmount: '核销金额',
  reverseReason: '撤销原因',
  deleteReason: '删除原因',
} as const;

/** i18n keys live under `payments.rules.`; `params.label` under `payments.labels.`. */
const problem = problemMaker(PAYMENT_MESSAGES);

// ---- amounts ---------------------------------------------------------------------------

/**
 * An amount of a receipt or an allocation (input.rs `validate_amount`), in the server's
 * order: present; plain decimal text with at most four decimals within the stored range
 * (raw.rs); > 0; whole cents; at most 999,999,999,999.99.
 */
export function checkAmount(text: string, field: string, label: 'amount' | 'allocationAmount'): RuleError | null {
  const at = { field, label, name: PAYMENT_LABELS[label] };
  const { error, read } = readDecimalField(text, at, problem);
  if (error) return error;
  if (read.value <= 0n) return problem(field, 'NOT_POSITIVE', 'notPositive', { label }, [at.name]);
  return checkCents(read, at, problem);
}

const isZero = (amount: string) => compareDecimal(amount, '0') === 0;

// ---- a receipt (input.rs) ----------------------------------------------------------------

/** The day the money arrived: present, a real date `YYYY-MM-DD`, not after today (China), not before 2000. */
export function checkReceivedAt(text: string, today = todayChina(), field = 'received_at'): RuleError | null {
  const trimmed = text.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'receivedAtRequired');
  if (!isDay(trimmed)) return problem(field, 'INVALID_DATE', 'receivedAtInvalid');
  if (trimmed > today) return problem(field, 'DATE_IN_FUTURE', 'receivedAtInFuture');
  if (trimmed < EARLIEST_DAY) return problem(field, 'DATE_TOO_EARLY', 'receivedAtTooEarly');
  return null;
}

export function checkMethod(value: string, field = 'method'): RuleError | null {
  const trimmed = value.trim();
  if (trimmed === '') return problem(field, 'REQUIRED', 'methodRequired');
  if (!(PAYMENT_METHODS as readonly string[]).includes(trimmed)) return problem(field, 'INVALID_METHOD', 'methodInvalid');
  return null;
}

/** The length the server counts: payer names and remarks with whitespace runs collapsed, a reference trimmed. */
const textLength = (text: string, collapse: boolean) => Array.from((collapse ? cleanName(text) : clean(text)) ?? '').length;

export function checkPayerName(text: string, field = 'payer_name'): RuleError | null {
  return textLength(text, true) > MAX_PAYER_NAME ? problem(field, 'TOO_LONG', 'payerNameTooLong', { max: MAX_PAYER_NAME }, [MAX_PAYER_NAME]) : null;
}

export function checkReference(text: string, field = 'reference'): RuleError | null {
  return textLength(text, false) > MAX_REFERENCE ? problem(field, 'TOO_LONG', 'referenceTooLong', { max: MAX_REFERENCE }, [MAX_REFERENCE]) : null;
}

export function checkRemarks(text: string, field = 'remarks'): RuleError | null {
  return textLength(text, true) > MAX_REMARKS ? problem(field, 'TOO_LONG', 'remarksTooLong', { max: MAX_REMARKS }, [MAX_REMARKS]) : null;
}

/** The receipt form's model, shaped like the request so the server's fields fit. */
export interface PaymentForm {
  customer_id: number | null;
  amount: string;
  received_at: string;
  method: PaymentMethod | '';
  payer_name: string;
  reference: string;
  remarks: string;
}
export type PaymentField = keyof PaymentForm;
export const PAYMENT_FIELDS: readonly PaymentField[] = ['customer_id', 'amount', 'received_at', 'method', 'payer_name', 'reference', 'remarks'];

/** A new receipt: today, by bank transfer; `customerId` when recorded from a customer. */
export function emptyPaymentForm(customerId: number | null = null, today = todayChina()): PaymentForm {
  return { customer_id: customerId, amount: '', received_at: today, method: DEFAULT_METHOD, payer_name: '', reference: '', remarks: '' };
}

/** A recorded payment back in the form, for editing. */
export function paymentToForm(payment: Payment): PaymentForm {
  return {
    customer_id: payment.customer_id,
    amount: payment.amount,
    received_at: payment.received_at,
    method: payment.method,
    payer_name: payment.payer_name ?? '',
    reference: payment.reference ?? '',
    remarks: payment.remarks ?? '',
  };
}

/** Every problem of the form, in the server's order (input.rs `validate_receipt`). */
export function validatePaymentForm(form: PaymentForm, today = todayChina()): RuleError[] {
  return [
    checkAmount(form.amount, 'amount', 'amount'),
    checkReceivedAt(form.received_at, today),
    checkMethod(form.method),
    checkPayerName(form.payer_name),
    checkReference(form.reference),
    checkRemarks(form.remarks),
  ].filter((e): e is RuleError => e !== null);
}

const blankToNull = (text: string) => (text.trim() === '' ? null : text.trim());

/** `POST /payments`: trimmed text; blank optional fields left out. */
export function paymentRequest(form: PaymentForm): PaymentInput {
  const body: PaymentInput = { amount: form.amount.trim(), received_at: form.received_at.trim(), method: form.method as PaymentMethod };
  if (form.customer_id !== null) body.customer_id = form.customer_id;
  for (const key of ['payer_name', 'reference', 'remarks'] as const) {
    const value = blankToNull(form[key]);
    if (value !== null) body[key] = value;
  }
  return body;
}

/**
 * `PATCH /payments/{id}`: the version and only what changed. The server keeps what is
 * absent or `null`, so a cleared text field goes as `""` (which it reads as empty), and a
 * payment's customer can be changed but not taken away again (it stays as it was).
 */
export function paymentPatch(form: PaymentForm, original: Payment): PaymentPatch {
  const patch: PaymentPatch = { version: original.version };
  if (form.customer_id !== null && form.customer_id !== original.customer_id) patch.customer_id = form.customer_id;
  const amount = form.amount.trim();
  if (toScaled(amount) === null || compareDecimal(amount, original.amount) !== 0) patch.amount = amount;
  if (form.received_at.trim() !== original.received_at) patch.received_at = form.received_at.trim();
  if (form.method !== original.method) patch.method = form.method as PaymentMethod;
  for (const key of ['payer_name', 'reference', 'remarks'] as const) {
    const value = blankToNull(form[key]);
    if (value !== (original[key] ?? null)) patch[key] = value ?? '';
  }
  return patch;
}

/** Whether the patch changes anything beyond the version. */
export const patchChanges = (patch: PaymentPatch) => Object.keys(patch).some((key) => key !== 'version');

// ---- what may be done now (allocation.rs) --------------------------------------------

/** Edited or deleted only while nothing is allocated (`check_editable`). */
export function editBlocker(payment: Pick<Payment, 'allocated'>): RuleError | null {
  return isZero(payment.allocated) ? null : problem('allocated', 'PAYMENT_HAS_ALLOCATIONS', 'hasAllocations');
}

/** An allocation is reversed once (`check_reverse`). */
export function reverseBlocker(allocation: Pick<Allocation, 'status'>): RuleError | null {
  return allocation.status === 'reversed' ? problem('status', 'ALLOCATION_ALREADY_REVERSED', 'alreadyReversed') : null;
}

/** `PaymentStatus::of`: what the status is with `allocated` of `amount` allocated. */
export function statusOf(amount: string, allocated: string): PaymentStatus {
  if (isZero(allocated)) return 'unapplied';
  return compareDecimal(allocated, amount) >= 0 ? 'applied' : 'partially_applied';
}

/** A reversal's or deletion's reason: 1–500 characters. */
export function checkReason(text: string, label: 'reverseReason' | 'deleteReason', field = 'reason'): RuleError | null {
  return checkReasonText(text, { field, label, name: PAYMENT_LABELS[label] }, REASON_MAX, problem);
}

// ---- the workbench (核销工作台) ------------------------------------------------------------

/** The amount typed per bill id; empty: the bill is not part of the allocation. */
export type AllocationEntries = Record<number, string>;
type BillFacts = Pick<OpenBill, 'bill_id' | 'bill_no' | 'outstanding'>;

/** The workbench names a bill's field by its id; the request's paths are mapped onto it. */
export const billField = (billId: number) => `bill:${billId}`;

/** Entries that say something (not blank), in the order of `bills`. */
function filled(entries: AllocationEntries, bills: readonly BillFacts[]): { bill: BillFacts; text: string }[] {
  return bills.flatMap((bill) => {
    const text = (entries[bill.bill_id] ?? '').trim();
    return text === '' ? [] : [{ bill, text }];
  });
}

/**
 * One bill's amount: blank is fine (not allocated); otherwise an amount as the server
 * reads it (label 核销金额), then no more than the bill has left.
 */
export function checkAllocationLine(text: string, bill: BillFacts): RuleError | null {
  if (text.trim() === '') return null;
  const field = billField(bill.bill_id);
  const invalid = checkAmount(text, field, 'allocationAmount');
  if (invalid) return invalid;
  const amount = toCents(text);
  if (compareDecimal(amount, bill.outstanding) > 0) {
    const outstanding = toCents(bill.outstanding);
    return problem(field, 'EXCEEDS_OUTSTANDING', 'exceedsOutstanding', { billNo: bill.bill_no, amount, outstanding }, [bill.bill_no, amount, outstanding]);
  }
  return null;
}

export interface Remaining {
  /** Σ of the amounts typed that are numbers, exactly. */
  entered: string;
  /** unapplied − entered, at least two decimals: red when negative. */
  remaining: string;
  negative: boolean;
  /** Some typed amount is not a number (and is left out of Σ). */
  complete: boolean;
  /** Bills with an amount. */
  count: number;
}

/** The live arithmetic of the workbench, exact: unapplied − Σ entered. */
export function remainingOf(unapplied: string, entries: AllocationEntries): Remaining {
  let entered = '0.00';
  let complete = true;
  let count = 0;
  for (const value of Object.values(entries)) {
    const text = value.trim();
    if (text === '') continue;
    count += 1;
    if (toScaled(text) === null) complete = false;
    else entered = addDecimal(entered, text);
  }
  const remaining = atLeastCents(subtractDecimal(unapplied, entered));
  return { entered: atLeastCents(entered), remaining, negative: compareDecimal(remaining, '0') < 0, complete, count };
}

/** Σ of the other bills' amounts that are numbers. */
function otherEntered(entries: AllocationEntries, billId: number): string {
  let sum = '0.00';
  for (const [id, value] of Object.entries(entries)) {
    const text = value.trim();
    if (Number(id) !== billId && text !== '' && toScaled(text) !== null) sum = addDecimal(sum, text);
  }
  return sum;
}

/**
 * The amount a ticked bill gets: its outstanding, or what the payment has left when that
 * is less. With nothing left it still gets its outstanding, so the shortfall shows in red.
 */
export function fillAmount(bill: BillFacts, unapplied: string, entries: AllocationEntries): string {
  const available = subtractDecimal(unapplied, otherEntered(entries, bill.bill_id));
  const outstanding = toCents(bill.outstanding);
  if (compareDecimal(available, '0') <= 0 || compareDecimal(outstanding, available) <= 0) return outstanding;
  return toCents(available);
}

/** A suggestion's amounts as the entries (every other bill blank). */
export function suggestionEntries(suggestion: AllocationSuggestion): AllocationEntries {
  const entries: AllocationEntries = {};
  for (const line of suggestion.allocations) entries[line.bill_id] = line.amount;
  return entries;
}

/**
 * Every problem before `POST /payments/{id}/allocations`: each bill's amount on its row,
 * then the request as a whole (none, too many, more than the payment has left).
 */
export function validateAllocations(entries: AllocationEntries, bills: readonly BillFacts[], unapplied: string): RuleError[] {
  const lines = filled(entries, bills);
  if (lines.length === 0) return [problem('allocations', 'REQUIRED', 'allocationsRequired')];
  if (lines.length > MAX_ALLOCATION_LINES) {
    return [problem('allocations', 'TOO_MANY_LINES', 'tooManyLines', { max: MAX_ALLOCATION_LINES }, [MAX_ALLOCATION_LINES])];
  }
  const errors = lines.map(({ bill, text }) => checkAllocationLine(text, bill)).filter((e): e is RuleError => e !== null);
  if (errors.length) return errors;
  const requested = lines.reduce((sum, { text }) => addDecimal(sum, toCents(text)), '0.00');
  if (compareDecimal(requested, unapplied) > 0) {
    const left = toCents(unapplied);
    return [problem('allocations', 'EXCEEDS_UNAPPLIED', 'exceedsUnapplied', { requested, unapplied: left }, [requested, left])];
  }
  return [];
}

/** The request: one line per bill with an amount, in the bills' order (oldest first). */
export function allocationRequest(entries: AllocationEntries, bills: readonly BillFacts[]): AllocationLineInput[] {
  return filled(entries, bills).map(({ bill, text }) => ({ bill_id: bill.bill_id, amount: text }));
}

/** `allocations[2].amount` of the request → the bill it named (same order as `allocationRequest`). */
export function billOfPath(path: string, lines: readonly AllocationLineInput[]): number | null {
  const m = /^allocations\[(\d+)\]/.exec(path);
  return m ? (lines[Number(m[1])]?.bill_id ?? null) : null;
}
