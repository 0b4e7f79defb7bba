/**
 * The customer profile rules (DESIGN.md §3), mirrored from the server's domain crate
 * (`crates/domain/src/customer/`: normalize.rs, fields.rs, credit_code.rs, profile.rs,
 * status.rs) so a form shows the same problem, in the same words, before anything is
 * sent. The server stays the authority: its 400 `details[]` land on the same fields.
 *
 * Every Chinese message below is copied character for character from the Rust code
 * (a Rust test checks that each one appears in this file), templates included:
 * `{}` and `{limit}` are filled in order, as Rust's `format!` does.
 */

import { fill, type RuleError } from './rules';

export { fill };
export type { RuleError };

// ---- messages (verbatim from the domain crate) --------------------------------

export const MESSAGES = {
  customerCode: '客户编号只能包含字母、数字、- 和 _，最长 32 位',
  companyNameRequired: '公司名称不能为空',
  tooLong: '{}不能超过 {limit} 个字符',
  creditCodeLength: '统一社会信用代码应为 18 位',
  creditCodeCheck: '统一社会信用代码校验位不正确',
  industry: '行业类型须为 房地产开发、物业管理、长租公寓、酒店、商业地产 或 其他',
  level: '客户等级须为 A、B 或 C',
  phone: '联系电话格式不正确：手机号为 1 开头的 11 位数字，座机为 0 开头的区号加 7–8 位号码',
  email: '联系邮箱格式不正确',
  accountId: '平台账号只能包含字母、数字和符号，不能有空格，最长 64 位',
  accountStatus: '账号状态须为 试用、正式、欠费、暂停 或 已注销',
  seriesRequired: '设备系列至少选择 X、N、L 中的一个',
  seriesUnknown: '设备系列只能是 X、N、L，无法识别：{}',
  invalidDate: '{}不是有效日期，应为 2024-03-05 或 2024/3/5 等格式',
  endBeforeSigned: '合同到期日不能早于签约日期',
  tagTooLong: '每个标签不能超过 20 个字符',
  tooManyTags: '标签不能超过 20 个',
  paymentTerms: '账期须为 0 到 365 天',
  illegalTransition: '账号状态不能从「{}」变更为「{}」',
  closeManagementOnly: '只有管理角色可以注销账号',
  // Only the server knows what is owed: the status dialog shows its copy (409 UNSETTLED_BILLS).
  unsettledBills: '该客户还有 {} 张未结清账单（未收 ¥{}），确需注销请选择强制注销并填写原因',
} as const;

// ---- fields -------------------------------------------------------------------

/** The 18 business fields by API name (owners as `*_owner_id`), in the server's order. */
export const PROFILE_FIELDS = [
  'customer_code',
  'company_name',
  'credit_code',
  'industry',
  'level',
  'region',
  'address',
  'contact_name',
  'contact_phone',
  'contact_email',
  'account_id',
  'account_status',
  'device_series',
  'sales_owner_id',
  'ops_owner_id',
  'signed_at',
  'contract_end_at',
  'remarks',
] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
/** Profile fields plus the two extras the form edits. */
export type CustomerFormField = ProfileField | 'tags' | 'payment_terms_days';

/** The Chinese column headers of the import template (`Field::header`). */
export const FIELD_HEADERS: Record<ProfileField, string> = {
  customer_code: '客户编号',
  company_name: '公司名称',
  credit_code: '统一社会信用代码',
  industry: '行业类型',
  level: '客户等级',
  region: '所在地区',
  address: '详细地址',
  contact_name: '联系人',
  contact_phone: '联系电话',
  contact_email: '联系邮箱',
  account_id: '平台账号',
  account_status: '账号状态',
  device_series: '设备系列',
  sales_owner_id: '销售负责人',
  ops_owner_id: '运营负责人',
  signed_at: '签约日期',
  contract_end_at: '合同到期日',
  remarks: '备注',
};

export const COMPANY_NAME_MAX = 100;
export const REGION_MAX = 50;
export const ADDRESS_MAX = 200;
export const CONTACT_NAME_MAX = 50;
export const REMARKS_MAX = 500;
export const TAG_MAX_CHARS = 20;
export const TAGS_MAX = 20;
export const PAYMENT_TERMS_MAX = 365;
export const DEFAULT_PAYMENT_TERMS_DAYS = 15;
export const STATUS_REASON_MAX = 500;

function error(field: string, code: string, message: string, key: string, params?: RuleError['params']): RuleError {
  return params ? { field, code, message, key, params } : { field, code, message, key };
}

// ---- normalization (normalize.rs) ---------------------------------------------

/** Rust's `char::is_whitespace` (Unicode White_Space), which differs from JS `\s`. */
const WS = '\\t\\n\\v\\f\\r \\u0085\\u00A0\\u1680\\u2000-\\u200A\\u2028\\u2029\\u202F\\u205F\\u3000';
const TRIM = new RegExp(`^[${WS}]+|[${WS}]+$`, 'g');
const WS_RUN = new RegExp(`[${WS}]+`, 'g');

const rustTrim = (text: string) => text.replace(TRIM, '');
const utf8Length = (text: string) => new TextEncoder().encode(text).length;
const charCount = (text: string) => Array.from(text).length;
const isAsciiDigits = (s: string) => s.length > 0 && /^[0-9]+$/.test(s);

/** Full-width ASCII variants (U+FF01–U+FF5E) to ASCII, the ideographic space to a space. */
export function toHalfWidth(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.codePointAt(0) ?? 0;
    if (code === 0x3000) out += ' ';
    else if (code >= 0xff01 && code <= 0xff5e) out += String.fromCodePoint(code - 0xfee0);
    else out += c;
  }
  return out;
}

/** Half-width, trimmed; blank is null (an absent value). */
export function clean(text: string | null | undefined): string | null {
  if (text == null) return null;
  const trimmed = rustTrim(toHalfWidth(text));
  return trimmed === '' ? null : trimmed;
}

/** Like `clean`, and runs of inner whitespace become one space. */
export function cleanName(text: string | null | undefined): string | null {
  if (text == null) return null;
  const collapsed = rustTrim(toHalfWidth(text).replace(WS_RUN, ' '));
  return collapsed === '' ? null : collapsed;
}

/** What two company names are compared by: normalized and case-folded. */
export function nameKey(name: string): string {
  return (cleanName(name) ?? '').toLowerCase();
}

// ---- dictionaries (fields.rs) -------------------------------------------------

export const INDUSTRIES = ['房地产开发', '物业管理', '长租公寓', '酒店', '商业地产', '其他'] as const;
export type Industry = (typeof INDUSTRIES)[number];

const INDUSTRY_SYNONYMS: Record<string, Industry> = {
  房地产开发: '房地产开发',
  房地产: '房地产开发',
  地产开发: '房地产开发',
  物业管理: '物业管理',
  物业: '物业管理',
  物业服务: '物业管理',
  长租公寓: '长租公寓',
  公寓: '长租公寓',
  租赁公寓: '长租公寓',
  酒店: '酒店',
  酒店管理: '酒店',
  商业地产: '商业地产',
  商业: '商业地产',
  其他: '其他',
  其它: '其他',
};

export function parseIndustry(text: string): Industry | null {
  const value = clean(text);
  return value !== null && Object.hasOwn(INDUSTRY_SYNONYMS, value) ? INDUSTRY_SYNONYMS[value] : null;
}

export const LEVELS = ['A', 'B', 'C'] as const;
export type Level = (typeof LEVELS)[number];

const LEVEL_SYNONYMS: Record<string, Level> = {
  A: 'A',
  A类: 'A',
  战略: 'A',
  战略客户: 'A',
  B: 'B',
  B类: 'B',
  重点: 'B',
  重点客户: 'B',
  C: 'C',
  C类: 'C',
  普通: 'C',
  普通客户: 'C',
};

export function parseLevel(text: string): Level | null {
  const value = clean(text)?.toUpperCase();
  return value !== undefined && Object.hasOwn(LEVEL_SYNONYMS, value) ? LEVEL_SYNONYMS[value] : null;
}

export const ACCOUNT_STATUSES = ['trial', 'active', 'arrears', 'suspended', 'closed'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/** `AccountStatus::label`. */
export const STATUS_LABELS: Record<AccountStatus, string> = {
  trial: '试用',
  active: '正式',
  arrears: '欠费',
  suspended: '暂停',
  closed: '已注销',
};

const STATUS_SYNONYMS: Record<string, AccountStatus> = {
  trial: 'trial',
  试用: 'trial',
  active: 'active',
  正式: 'active',
  正常: 'active',
  已签约: 'active',
  arrears: 'arrears',
  欠费: 'arrears',
  suspended: 'suspended',
  暂停: 'suspended',
  停用: 'suspended',
  closed: 'closed',
  已注销: 'closed',
  注销: 'closed',
};

/** The English code, the Chinese label, or a synonym. */
export function parseAccountStatus(text: string): AccountStatus | null {
  const value = clean(text)?.toLowerCase();
  return value !== undefined && Object.hasOwn(STATUS_SYNONYMS, value) ? STATUS_SYNONYMS[value] : null;
}

/** In the server's (and the API's) order. */
export const SERIES = ['L', 'N', 'X'] as const;
export type Series = (typeof SERIES)[number];

export function parseSeries(token: string): Series | null {
  const value = clean(token)?.toUpperCase();
  return value === 'L' || value === 'N' || value === 'X' ? value : null;
}

export type SeriesResult = { ok: true; series: Series[] } | { ok: false; unknown: string[] };

/** Tokens to a sorted set of series, or the tokens that are none. */
export function parseSeriesTokens(tokens: Iterable<string>): SeriesResult {
  const found = new Set<Series>();
  const unknown: string[] = [];
  for (const token of tokens) {
    const series = parseSeries(token);
    if (series) found.add(series);
    else unknown.push(rustTrim(token));
  }
  return unknown.length ? { ok: false, unknown } : { ok: true, series: SERIES.filter((s) => found.has(s)) };
}

/** "N、L/x" as typed in a cell: every documented separator, any case. */
export function parseSeriesText(text: string): SeriesResult {
  const tokens = toHalfWidth(text)
    .split(/[、,，/ ;；]/)
    .map(rustTrim)
    .filter((t) => t !== '');
  return parseSeriesTokens(tokens);
}

// ---- formatted values (fields.rs) ---------------------------------------------

/** Mainland mobile `1[3-9]` + 9 digits, or landline `0` + 2–3 digits, optional `-`, 7–8 digits. */
export function parsePhone(text: string): string | null {
  const phone = toHalfWidth(text).replace(WS_RUN, '');
  const mobile = phone.length === 11 && isAsciiDigits(phone) && phone[0] === '1' && /[3-9]/.test(phone[1] ?? '');
  const landline = () => {
    if (!phone.startsWith('0')) return false;
    const dash = phone.indexOf('-');
    // Without a dash the split is ambiguous; any 0 + 2–3 + 7–8 split gives 10–12 digits.
    if (dash < 0) return isAsciiDigits(phone) && phone.length >= 10 && phone.length <= 12;
    const area = phone.slice(0, dash);
    const number = phone.slice(dash + 1);
    return (
      isAsciiDigits(area) && area.length >= 3 && area.length <= 4 && isAsciiDigits(number) && number.length >= 7 && number.length <= 8
    );
  };
  return mobile || landline() ? phone : null;
}

const EMAIL_LOCAL_CHARS = /^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~.]+$/;

/** One `@`, a plain local part, a dotted domain with an alphabetic TLD; the domain lower-cased. */
export function parseEmail(text: string): string | null {
  const email = clean(text);
  if (email === null) return null;
  const at = email.indexOf('@');
  if (at < 0) return null;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const localOk =
    local.length > 0 && utf8Length(local) <= 64 && EMAIL_LOCAL_CHARS.test(local) && !local.startsWith('.') && !local.endsWith('.');
  const labels = domain.split('.');
  const tld = labels[labels.length - 1] ?? '';
  const domainOk =
    labels.length >= 2 &&
    labels.every((label) => /^[A-Za-z0-9-]+$/.test(label) && !label.startsWith('-') && !label.endsWith('-')) &&
    tld.length >= 2 &&
    /^[A-Za-z]+$/.test(tld);
  return localOk && domainOk && utf8Length(email) <= 254 ? `${local}@${domain.toLowerCase()}` : null;
}

const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const pad = (n: number, width: number) => String(n).padStart(width, '0');

function ymd(year: number, month: number, day: number): string | null {
  if (month < 1 || month > 12 || day < 1) return null;
  const max = month === 2 && isLeap(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= max ? `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}` : null;
}

/** `2024-03-05`, `2024/3/5`, `2024.03.05`, `2024年3月5日`, `20240305`, stray spaces allowed → `YYYY-MM-DD`. */
export function parseDateText(text: string): string | null {
  const compact = toHalfWidth(text).replace(WS_RUN, '');
  if (compact.length === 8 && isAsciiDigits(compact)) {
    return ymd(Number(compact.slice(0, 4)), Number(compact.slice(4, 6)), Number(compact.slice(6, 8)));
  }
  let unified = compact.replace(/[/.年月]/g, '-');
  if (unified.endsWith('日')) unified = unified.slice(0, -1);
  const parts = unified.split('-');
  if (parts.length !== 3) return null;
  const [year, month, day] = parts as [string, string, string];
  const number = (s: string, maxLen: number) => (isAsciiDigits(s) && s.length <= maxLen ? Number(s) : null);
  if (year.length !== 4) return null;
  const y = number(year, 4);
  const m = number(month, 2);
  const d = number(day, 2);
  return y === null || m === null || d === null ? null : ymd(y, m, d);
}

/** Letters, digits, `-` and `_`, 1–32 characters, upper-cased. */
export function parseCustomerCode(text: string): string | null {
  const code = clean(text)?.toUpperCase();
  if (code === undefined) return null;
  return utf8Length(code) <= 32 && /^[A-Za-z0-9_-]+$/.test(code) ? code : null;
}

/** The upstream platform account: 1–64 visible ASCII characters. */
export function parseAccountId(text: string): string | null {
  const id = clean(text);
  if (id === null) return null;
  return utf8Length(id) <= 64 && /^[\x21-\x7e]+$/.test(id) ? id : null;
}

// ---- 统一社会信用代码 (credit_code.rs, GB 32100-2015) --------------------------

const CREDIT_ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/** The check character for the first 17 characters, or null when one is outside the alphabet. */
export function creditCodeCheckCharacter(first17: string): string | null {
  if (first17.length !== 17) return null;
  let sum = 0;
  for (let i = 0; i < 17; i += 1) {
    const value = CREDIT_ALPHABET.indexOf(first17[i] ?? '');
    if (value < 0) return null;
    sum += value * (CREDIT_WEIGHTS[i] ?? 0);
  }
  return CREDIT_ALPHABET[(31 - (sum % 31)) % 31] ?? null;
}

/** Whether an (upper-cased) code is 18 characters with a correct check character. */
export function isValidCreditCode(code: string): boolean {
  return utf8Length(code) === 18 && creditCodeCheckCharacter(code.slice(0, 17)) === code[17];
}

// ---- one field at a time (profile.rs, in its order) ---------------------------

function maxLen(field: ProfileField, value: string | null, limit: number): RuleError | null {
  if (value === null || charCount(value) <= limit) return null;
  return error(field, 'TOO_LONG', fill(MESSAGES.tooLong, FIELD_HEADERS[field], limit), 'tooLong', { limit });
}

function checkDate(field: 'signed_at' | 'contract_end_at', text: string | null | undefined): RuleError | null {
  if (clean(text) === null || parseDateText(text ?? '') !== null) return null;
  return error(field, 'INVALID_DATE', fill(MESSAGES.invalidDate, FIELD_HEADERS[field]), 'invalidDate');
}

/** What the form holds: text as typed, series as a list, owners as ids. */
export interface RawProfile {
  customer_code?: string | null;
  company_name?: string | null;
  credit_code?: string | null;
  industry?: string | null;
  level?: string | null;
  region?: string | null;
  address?: string | null;
  contact_name?: string | null;
  contact_phone?: string | null;
  contact_email?: string | null;
  account_id?: string | null;
  account_status?: string | null;
  /** A list (the API) or one text as typed in a cell (`"N、L"`). */
  device_series?: string[] | string | null;
  signed_at?: string | null;
  contract_end_at?: string | null;
  remarks?: string | null;
}

type Check = (raw: RawProfile) => RuleError | null;

const CHECKS: Partial<Record<ProfileField, Check>> = {
  customer_code: ({ customer_code: v }) =>
    clean(v) === null || parseCustomerCode(v ?? '') !== null
      ? null
      : error('customer_code', 'INVALID_CUSTOMER_CODE', MESSAGES.customerCode, 'customerCode'),
  company_name: ({ company_name: v }) => {
    const name = cleanName(v);
    if (name === null) return error('company_name', 'REQUIRED', MESSAGES.companyNameRequired, 'companyNameRequired');
    return maxLen('company_name', name, COMPANY_NAME_MAX);
  },
  credit_code: ({ credit_code: v }) => {
    const code = clean(v)?.toUpperCase();
    if (code === undefined) return null;
    if (utf8Length(code) !== 18) return error('credit_code', 'INVALID_CREDIT_CODE', MESSAGES.creditCodeLength, 'creditCodeLength');
    if (!isValidCreditCode(code)) return error('credit_code', 'INVALID_CREDIT_CODE', MESSAGES.creditCodeCheck, 'creditCodeCheck');
    return null;
  },
  industry: ({ industry: v }) =>
    clean(v) === null || parseIndustry(v ?? '') !== null ? null : error('industry', 'UNKNOWN_INDUSTRY', MESSAGES.industry, 'industry'),
  level: ({ level: v }) =>
    clean(v) === null || parseLevel(v ?? '') !== null ? null : error('level', 'UNKNOWN_LEVEL', MESSAGES.level, 'level'),
  region: ({ region: v }) => maxLen('region', cleanName(v), REGION_MAX),
  address: ({ address: v }) => maxLen('address', cleanName(v), ADDRESS_MAX),
  contact_name: ({ contact_name: v }) => maxLen('contact_name', cleanName(v), CONTACT_NAME_MAX),
  contact_phone: ({ contact_phone: v }) =>
    clean(v) === null || parsePhone(clean(v) ?? '') !== null
      ? null
      : error('contact_phone', 'INVALID_PHONE', MESSAGES.phone, 'phone'),
  contact_email: ({ contact_email: v }) =>
    clean(v) === null || parseEmail(v ?? '') !== null ? null : error('contact_email', 'INVALID_EMAIL', MESSAGES.email, 'email'),
  account_id: ({ account_id: v }) =>
    clean(v) === null || parseAccountId(v ?? '') !== null
      ? null
      : error('account_id', 'INVALID_ACCOUNT_ID', MESSAGES.accountId, 'accountId'),
  account_status: ({ account_status: v }) =>
    clean(v) === null || parseAccountStatus(v ?? '') !== null
      ? null
      : error('account_status', 'UNKNOWN_STATUS', MESSAGES.accountStatus, 'accountStatus'),
  device_series: ({ device_series: v }) => {
    const result =
      v == null ? { ok: true as const, series: [] } : typeof v === 'string' ? parseSeriesText(v) : parseSeriesTokens(v);
    if (!result.ok) {
      const unknown = result.unknown.join('、');
      return error('device_series', 'UNKNOWN_SERIES', fill(MESSAGES.seriesUnknown, unknown), 'seriesUnknown', { unknown });
    }
    return result.series.length ? null : error('device_series', 'REQUIRED', MESSAGES.seriesRequired, 'seriesRequired');
  },
  signed_at: ({ signed_at: v }) => checkDate('signed_at', v),
  contract_end_at: ({ signed_at, contract_end_at }) => {
    const invalid = checkDate('contract_end_at', contract_end_at);
    if (invalid) return invalid;
    const signed = clean(signed_at) === null ? null : parseDateText(signed_at ?? '');
    const end = clean(contract_end_at) === null ? null : parseDateText(contract_end_at ?? '');
    // `YYYY-MM-DD` strings compare like the dates they are.
    return signed && end && end < signed
      ? error('contract_end_at', 'END_BEFORE_SIGNED', MESSAGES.endBeforeSigned, 'endBeforeSigned')
      : null;
  },
  remarks: ({ remarks: v }) => maxLen('remarks', clean(v), REMARKS_MAX),
};

/** The problem of one field (or null), for showing while the user types. */
export function validateField(field: ProfileField, raw: RawProfile): RuleError | null {
  return CHECKS[field]?.(raw) ?? null;
}

/** Every problem of a profile at once, in the server's order. */
export function validateProfile(raw: RawProfile): RuleError[] {
  return PROFILE_FIELDS.map((field) => validateField(field, raw)).filter((e): e is RuleError => e !== null);
}

/** Tags: trimmed, de-duplicated, 1–20 characters each, at most 20. */
export function validateTags(tags: readonly string[]): { ok: true; tags: string[] } | { ok: false; error: RuleError } {
  const cleaned: string[] = [];
  for (const raw of tags) {
    const tag = cleanName(raw);
    if (tag === null) continue;
    if (charCount(tag) > TAG_MAX_CHARS) {
      return { ok: false, error: error('tags', 'TAG_TOO_LONG', MESSAGES.tagTooLong, 'tagTooLong') };
    }
    if (!cleaned.includes(tag)) cleaned.push(tag);
  }
  if (cleaned.length > TAGS_MAX) return { ok: false, error: error('tags', 'TOO_MANY_TAGS', MESSAGES.tooManyTags, 'tooManyTags') };
  return { ok: true, tags: cleaned };
}

/** Payment terms: whole days after the period end, 0–365. */
export function validatePaymentTerms(days: number | null | undefined): RuleError | null {
  const ok = typeof days === 'number' && Number.isInteger(days) && days >= 0 && days <= PAYMENT_TERMS_MAX;
  return ok ? null : error('payment_terms_days', 'OUT_OF_RANGE', MESSAGES.paymentTerms, 'paymentTerms');
}

/** A status-change reason: required, at most 500 characters (the API's rule). */
export function statusReasonProblem(reason: string): 'required' | 'tooLong' | null {
  const text = clean(reason);
  if (text === null) return 'required';
  return charCount(text) > STATUS_REASON_MAX ? 'tooLong' : null;
}

// ---- the status lifecycle (status.rs) -----------------------------------------

export type RoleCode = 'operations' | 'sales' | 'management';

/**
 * A move made by hand: null when allowed, else the server's message. The detail page
 * trusts the server's `allowed_transitions`; this serves batch dialogs, which act on
 * many customers at once.
 */
export function checkManualTransition(from: AccountStatus, to: AccountStatus, role: RoleCode): string | null {
  if (to === 'closed' && from !== 'closed') return role === 'management' ? null : MESSAGES.closeManagementOnly;
  const allowed =
    (from === 'trial' && to === 'active') || (from === 'arrears' && to === 'suspended') || (from === 'suspended' && to === 'active');
  return allowed ? null : fill(MESSAGES.illegalTransition, STATUS_LABELS[from], STATUS_LABELS[to]);
}

/** The statuses a person with this role may move a customer to by hand. */
export function manualTargets(from: AccountStatus, role: RoleCode): AccountStatus[] {
  return ACCOUNT_STATUSES.filter((to) => checkManualTransition(from, to, role) === null);
}
