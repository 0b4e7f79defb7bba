/**
 * The customer rules against the same good and bad examples as the Rust tests in
 * crates/domain/src/customer/ (normalize.rs, fields.rs, credit_code.rs, profile.rs,
 * status.rs), so the form and the server agree.
 */
import { describe, expect, it } from 'vitest';
import {
  ACCOUNT_STATUSES,
  FIELD_HEADERS,
  INDUSTRIES,
  MESSAGES,
  PROFILE_FIELDS,
  STATUS_LABELS,
  checkManualTransition,
  clean,
  cleanName,
  creditCodeCheckCharacter,
  fill,
  isValidCreditCode,
  manualTargets,
  nameKey,
  parseAccountId,
  parseAccountStatus,
  parseCustomerCode,
  parseDateText,
  parseEmail,
  parseIndustry,
  parseLevel,
  parsePhone,
  parseSeriesText,
  parseSeriesTokens,
  statusReasonProblem,
  toHalfWidth,
  validateField,
  validatePaymentTerms,
  validateProfile,
  validateTags,
  type RawProfile,
} from '@/utils/customer-rules';

describe('normalization (normalize.rs)', () => {
  it('folds full-width characters and spaces', () => {
    expect(clean('\u3000ＡＢＣ１２３（北京）\u3000')).toBe('ABC123(北京)');
    expect(toHalfWidth('Ｘ、Ｎ')).toBe('X、N');
  });

  it('treats blank as absent', () => {
    expect(clean(' \u3000\t')).toBeNull();
    expect(cleanName('')).toBeNull();
    expect(clean(null)).toBeNull();
  });

  it('collapses inner whitespace in names', () => {
    expect(cleanName(' 上海  锦城\u3000\u3000不动产 ')).toBe('上海 锦城 不动产');
  });

  it('compares company names ignoring width, case and spacing', () => {
    expect(nameKey('上海ＡＢＣ  有限公司')).toBe(nameKey(' 上海abc 有限公司'));
  });

  it('trims what Rust trims, not what JavaScript trims', () => {
    // U+FEFF is whitespace to JS trim() but not to Rust's char::is_whitespace.
    expect(clean('\uFEFFabc')).toBe('\uFEFFabc');
    expect(clean('\u0085abc\u0085')).toBe('abc');
  });
});

describe('dictionaries (fields.rs)', () => {
  it('accepts the industry synonyms', () => {
    const cases: [string, string][] = [
      ['物业', '物业管理'],
      ['物业服务', '物业管理'],
      ['房地产', '房地产开发'],
      ['地产开发', '房地产开发'],
      ['公寓', '长租公寓'],
      ['租赁公寓', '长租公寓'],
      ['酒店管理', '酒店'],
      ['商业', '商业地产'],
      [' 其他 ', '其他'],
    ];
    for (const [text, industry] of cases) expect(parseIndustry(text), text).toBe(industry);
    for (const industry of INDUSTRIES) expect(parseIndustry(industry)).toBe(industry);
    expect(parseIndustry('农业')).toBeNull();
    expect(parseIndustry('toString')).toBeNull();
  });

  it('accepts the level synonyms', () => {
    const cases: [string, string][] = [
      ['a', 'A'],
      ['A类', 'A'],
      ['战略客户', 'A'],
      ['重点', 'B'],
      ['普通客户', 'C'],
    ];
    for (const [text, level] of cases) expect(parseLevel(text), text).toBe(level);
    expect(parseLevel('D')).toBeNull();
  });

  it('accepts status codes, labels and synonyms', () => {
    const cases: [string, string][] = [
      ['正常', 'active'],
      ['已签约', 'active'],
      ['停用', 'suspended'],
      ['注销', 'closed'],
      ['Trial', 'trial'],
    ];
    for (const [text, status] of cases) expect(parseAccountStatus(text), text).toBe(status);
    for (const status of ACCOUNT_STATUSES) {
      expect(parseAccountStatus(STATUS_LABELS[status])).toBe(status);
      expect(parseAccountStatus(status)).toBe(status);
    }
  });

  it('splits series on every separator, case-insensitively', () => {
    for (const text of ['N、L、X', 'x,n，l', 'X/N L', 'Ｘ、Ｎ、Ｌ', 'X;N;L;X']) {
      expect(parseSeriesText(text), text).toEqual({ ok: true, series: ['L', 'N', 'X'] });
    }
    expect(parseSeriesText('X、Q')).toEqual({ ok: false, unknown: ['Q'] });
    expect(parseSeriesText('  ')).toEqual({ ok: true, series: [] });
    expect(parseSeriesTokens(['x', ' n '])).toEqual({ ok: true, series: ['N', 'X'] });
  });
});

describe('formatted values (fields.rs)', () => {
  it('takes mainland phone numbers', () => {
    for (const good of ['13800138000', '19632056966', '0255-65388370', '010-1234567', '02165388370', '138 0013 8000']) {
      expect(parsePhone(good), good).not.toBeNull();
    }
    for (const bad of ['12345678901', '1381234', '电话待补', '10800138000', '021-123456', '21-12345678', '']) {
      expect(parsePhone(bad), bad).toBeNull();
    }
    expect(parsePhone('138 0013 8000')).toBe('13800138000');
    expect(parsePhone('１３８００１３８０００')).toBe('13800138000');
  });

  it('needs a local part and a dotted domain in an e-mail address', () => {
    expect(parseEmail(' Li.Ming@Example.CN ')).toBe('Li.Ming@example.cn');
    for (const bad of ['user.example.cn', 'abc@', 'a b@x.cn', '无', '@x.cn', 'a@x', 'a@x.c1', 'a@@x.cn']) {
      expect(parseEmail(bad), bad).toBeNull();
    }
  });

  it('reads every documented date form', () => {
    for (const text of ['2024-03-05', '2024/3/5', '2024.03.05', '2024年3月5日', '20240305', ' 2024 - 3 - 5 ', '2024年03月05日']) {
      expect(parseDateText(text), text).toBe('2024-03-05');
    }
    for (const bad of ['2023-13-01', '去年', '2024-02-30', '24-3-5', '2024-3', '20241305', '']) {
      expect(parseDateText(bad), bad).toBeNull();
    }
    expect(parseDateText('2024-02-29')).toBe('2024-02-29');
    expect(parseDateText('2100-02-29')).toBeNull();
  });

  it('keeps customer codes and accounts plain identifiers', () => {
    expect(parseCustomerCode(' c100006 ')).toBe('C100006');
    expect(parseCustomerCode('C 1')).toBeNull();
    expect(parseCustomerCode('编号1')).toBeNull();
    expect(parseCustomerCode('C'.repeat(33))).toBeNull();
    expect(parseAccountId('acct_6d7fb6be')).toBe('acct_6d7fb6be');
    expect(parseAccountId('acct 1')).toBeNull();
    expect(parseAccountId('a'.repeat(65))).toBeNull();
  });
});

describe('统一社会信用代码 (credit_code.rs)', () => {
  it('validates published codes', () => {
    for (const code of ['91350100M000100Y43', '9144030071526726XG']) expect(isValidCreditCode(code), code).toBe(true);
    expect(creditCodeCheckCharacter('91350100M000100Y4')).toBe('3');
  });

  it('breaks on a changed character', () => {
    expect(isValidCreditCode('91350100M000100Y44')).toBe(false);
    expect(isValidCreditCode('91350100M000100Y4')).toBe(false);
    expect(isValidCreditCode('91350100M0001O0Y43')).toBe(false); // O is not in the alphabet
  });
});

describe('the whole profile (profile.rs)', () => {
  const validRaw = (): RawProfile => ({
    customer_code: 'C100006',
    company_name: '上海锦城不动产股份有限公司',
    credit_code: '91350100M000100Y43',
    industry: '物业服务',
    level: '战略客户',
    contact_phone: '19632056966',
    contact_email: 'li@example.cn',
    account_status: '正常',
    device_series: 'N、L、X',
    signed_at: '2019-08-20',
    contract_end_at: '2022.08.19',
  });

  it('passes a typical row', () => {
    expect(validateProfile(validRaw())).toEqual([]);
  });

  it('requires only the name and the series', () => {
    expect(validateProfile({ company_name: '某公司', device_series: ['x'] })).toEqual([]);
    const errors = validateProfile({});
    expect(errors.map((e) => [e.field, e.code, e.message])).toEqual([
      ['company_name', 'REQUIRED', '公司名称不能为空'],
      ['device_series', 'REQUIRED', '设备系列至少选择 X、N、L 中的一个'],
    ]);
  });

  it('reports every bad field at once, in the server order, with its words', () => {
    const errors = validateProfile({
      company_name: '  ',
      credit_code: '91350100M000100Y44',
      industry: '农业',
      contact_phone: '1381234',
      contact_email: 'abc@',
      device_series: 'X、Q',
      signed_at: '去年',
    });
    expect(errors.map((e) => e.field)).toEqual([
      'company_name',
      'credit_code',
      'industry',
      'contact_phone',
      'contact_email',
      'device_series',
      'signed_at',
    ]);
    expect(errors.map((e) => e.message)).toEqual([
      '公司名称不能为空',
      '统一社会信用代码校验位不正确',
      '行业类型须为 房地产开发、物业管理、长租公寓、酒店、商业地产 或 其他',
      '联系电话格式不正确：手机号为 1 开头的 11 位数字，座机为 0 开头的区号加 7–8 位号码',
      '联系邮箱格式不正确',
      '设备系列只能是 X、N、L，无法识别：Q',
      '签约日期不是有效日期，应为 2024-03-05 或 2024/3/5 等格式',
    ]);
  });

  it('refuses a contract that ends before it is signed', () => {
    const raw = { ...validRaw(), contract_end_at: '2018-01-01' };
    const errors = validateProfile(raw);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'contract_end_at', code: 'END_BEFORE_SIGNED', message: '合同到期日不能早于签约日期' });
    expect(validateField('contract_end_at', { ...raw, signed_at: '' })).toBeNull();
  });

  it('checks each remaining field on its own', () => {
    const one = (raw: RawProfile) => validateProfile({ company_name: '某公司', device_series: ['X'], ...raw });
    expect(one({ customer_code: 'C 1' })[0]?.message).toBe('客户编号只能包含字母、数字、- 和 _，最长 32 位');
    expect(one({ credit_code: '9135' })[0]?.message).toBe('统一社会信用代码应为 18 位');
    expect(one({ credit_code: '91350100m000100y43' })).toEqual([]);
    expect(one({ level: 'D' })[0]?.message).toBe('客户等级须为 A、B 或 C');
    expect(one({ account_id: 'acct 1' })[0]?.message).toBe('平台账号只能包含字母、数字和符号，不能有空格，最长 64 位');
    expect(one({ account_status: '休眠' })[0]?.message).toBe('账号状态须为 试用、正式、欠费、暂停 或 已注销');
    expect(one({ contract_end_at: '2024-02-30' })[0]?.message).toBe('合同到期日不是有效日期，应为 2024-03-05 或 2024/3/5 等格式');
    expect(one({ device_series: [] })[0]?.code).toBe('REQUIRED');
  });

  it('bounds the text lengths in characters, not bytes', () => {
    const one = (raw: RawProfile) => validateProfile({ device_series: ['X'], company_name: '某公司', ...raw });
    expect(one({ company_name: '字'.repeat(100) })).toEqual([]);
    expect(one({ company_name: '字'.repeat(101) })[0]).toMatchObject({
      field: 'company_name',
      code: 'TOO_LONG',
      message: '公司名称不能超过 100 个字符',
      params: { limit: 100 },
    });
    expect(one({ region: '区'.repeat(51) })[0]?.message).toBe('所在地区不能超过 50 个字符');
    expect(one({ address: '路'.repeat(201) })[0]?.message).toBe('详细地址不能超过 200 个字符');
    expect(one({ contact_name: '名'.repeat(51) })[0]?.message).toBe('联系人不能超过 50 个字符');
    expect(one({ remarks: '注'.repeat(501) })[0]?.message).toBe('备注不能超过 500 个字符');
    // Inner runs of spaces count once in names.
    expect(one({ contact_name: `${'名'.repeat(25)}      ${'名'.repeat(24)}` })).toEqual([]);
  });

  it('names a header for every field', () => {
    for (const field of PROFILE_FIELDS) expect(FIELD_HEADERS[field]).toBeTruthy();
  });
});

describe('tags and payment terms', () => {
  it('trims, de-duplicates and bounds tags', () => {
    expect(validateTags([' VIP ', 'VIP', ''])).toEqual({ ok: true, tags: ['VIP'] });
    expect(validateTags(['字'.repeat(21)])).toMatchObject({ ok: false, error: { message: '每个标签不能超过 20 个字符' } });
    expect(validateTags(Array.from({ length: 21 }, (_, i) => String(i)))).toMatchObject({
      ok: false,
      error: { code: 'TOO_MANY_TAGS', message: '标签不能超过 20 个' },
    });
    expect(validateTags(Array.from({ length: 20 }, (_, i) => String(i))).ok).toBe(true);
  });

  it('takes 0–365 whole days of payment terms', () => {
    for (const good of [0, 15, 365]) expect(validatePaymentTerms(good), String(good)).toBeNull();
    for (const bad of [-1, 366, 1.5, null, undefined, Number.NaN]) {
      expect(validatePaymentTerms(bad)?.message, String(bad)).toBe('账期须为 0 到 365 天');
    }
  });

  it('requires a status reason of at most 500 characters', () => {
    expect(statusReasonProblem('  ')).toBe('required');
    expect(statusReasonProblem('合同已签')).toBeNull();
    expect(statusReasonProblem('因'.repeat(501))).toBe('tooLong');
  });
});

describe('the status lifecycle (status.rs)', () => {
  it('offers exactly the legal manual moves', () => {
    expect(manualTargets('trial', 'operations')).toEqual(['active']);
    expect(manualTargets('trial', 'management')).toEqual(['active', 'closed']);
    expect(manualTargets('arrears', 'operations')).toEqual(['suspended']);
    expect(manualTargets('suspended', 'operations')).toEqual(['active']);
    expect(manualTargets('active', 'operations')).toEqual([]);
    expect(manualTargets('closed', 'management')).toEqual([]);
  });

  it('explains a refused move in the server words', () => {
    expect(checkManualTransition('active', 'arrears', 'operations')).toBe('账号状态不能从「正式」变更为「欠费」');
    expect(checkManualTransition('trial', 'closed', 'operations')).toBe('只有管理角色可以注销账号');
    expect(checkManualTransition('closed', 'closed', 'management')).toBe('账号状态不能从「已注销」变更为「已注销」');
  });
});

describe('message templates', () => {
  it('fills placeholders in order, like format!', () => {
    expect(fill(MESSAGES.tooLong, '备注', 500)).toBe('备注不能超过 500 个字符');
    expect(fill(MESSAGES.illegalTransition, '试用', '欠费')).toBe('账号状态不能从「试用」变更为「欠费」');
    expect(fill('{}-{}', 'a')).toBe('a-{}');
  });
});
