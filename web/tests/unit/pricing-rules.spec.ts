import { describe, expect, it } from 'vitest';
import { addDecimal, compareDecimal, normalizeDecimal, roundHalfUp, toScaled } from '@/utils/decimal';
import {
  addTier,
  checkDecimal,
  checkMinimumCharge,
  checkUsage,
  currentPeriod,
  draftToRule,
  emptyDraft,
  emptyPlanForm,
  parseFieldPath,
  removeTier,
  ruleToDraft,
  splitPath,
  tierRow,
  validatePlanForm,
  validateRule,
  valueAt,
  writtenDecimal,
  type RuleDraft,
} from '@/utils/pricing-rules';

const tiered = (mode: 'graduated' | 'volume', rows: [string, string][]): RuleDraft => ({
  mode,
  unit_price: '',
  tiers: rows.map(([upTo, price]) => tierRow(upTo, price)),
});
const problems = (draft: RuleDraft, prefix = 'rules.X') => validateRule(draft, prefix).map((e) => [e.field, e.code, e.message]);

describe('exact decimals', () => {
  it('parses plain text only', () => {
    expect(toScaled('12.340')).toEqual({ value: 12340n, scale: 3 });
    expect(toScaled(' -0.5 ')).toEqual({ value: -5n, scale: 1 });
    for (const bad of ['', 'abc', '1e5', '1,000', '1.', '.5', 'NaN', '--1', '0x10']) expect(toScaled(bad), bad).toBeNull();
  });

  it('rounds half up to cents on the exact value', () => {
    expect(roundHalfUp('400.00004')).toBe('400.00');
    expect(roundHalfUp('500')).toBe('500.00');
    expect(roundHalfUp('0.005')).toBe('0.01');
    expect(roundHalfUp('0.0049999')).toBe('0.00');
    expect(roundHalfUp('15.18518394')).toBe('15.19');
    expect(roundHalfUp('-2.345')).toBe('-2.35');
    expect(roundHalfUp('1249.99995')).toBe('1250.00');
  });

  it('adds and compares without floats', () => {
    expect(addDecimal('1000', '0.0001')).toBe('1000.0001');
    expect(addDecimal('0.1', '0.2')).toBe('0.3');
    expect(addDecimal('9007199254740993', '1')).toBe('9007199254740994');
    expect(compareDecimal('1000', '1000.00')).toBe(0);
    expect(compareDecimal('999.9999', '1000')).toBe(-1);
    expect(normalizeDecimal('+01.2000')).toBe('1.2');
  });
});

describe('one value, in the server words', () => {
  it('names the problem with the field label', () => {
    expect(checkDecimal('', 'p', 'unitPrice')?.message).toBe('请填写单价');
    expect(checkDecimal('abc', 'p', 'unitPrice')?.message).toBe('单价不是有效的数字');
    expect(checkDecimal('0.12345', 'p', 'unitPrice')?.message).toBe('单价最多保留 4 位小数');
    expect(checkDecimal('-1', 'p', 'unitPrice')?.message).toBe('单价不能为负数');
    expect(checkDecimal('99999999999999999', 'p', 'unitPrice')?.message).toBe('单价超出允许范围');
    expect(checkDecimal('0', 'p', 'upTo', { positive: true })?.message).toBe('阶梯上限必须大于 0');
  });

  it('accepts what the server accepts', () => {
    for (const ok of ['0', '0.35', '0.5000', '0.500000', ' 12 ', '+3', '922337203685477.5807']) {
      expect(checkDecimal(ok, 'p', 'unitPrice'), ok).toBeNull();
    }
    expect(checkDecimal('922337203685477.5808', 'p', 'unitPrice')?.code).toBe('OUT_OF_RANGE');
  });

  it('checks usage and the minimum charge', () => {
    expect(checkUsage('6000')).toBeNull();
    expect(checkUsage('-0.5')?.message).toBe('用量不能为负数');
    expect(checkUsage('1.00001')?.message).toBe('用量最多保留 4 位小数');
    expect(checkMinimumCharge('')).toBeNull();
    expect(checkMinimumCharge('500')).toBeNull();
    expect(checkMinimumCharge('12.345')?.message).toBe('保底金额最多保留 2 位小数');
    expect(checkMinimumCharge('12.34567')?.message).toBe('保底金额最多保留 4 位小数');
    expect(checkMinimumCharge('12.3400')).toBeNull();
    // An amount of money: at most money.rs MAX_AMOUNT.
    expect(checkMinimumCharge('999999999999.99')).toBeNull();
    expect(checkMinimumCharge('1000000000000')?.message).toBe('保底金额超出允许范围');
  });
});

describe('a rule', () => {
  it('takes the design example in every mode', () => {
    const rows: [string, string][] = [['1000', '0.5'], ['5000', '0.4'], ['', '0.3']];
    expect(problems(tiered('graduated', rows))).toEqual([]);
    expect(problems(tiered('volume', rows))).toEqual([]);
    expect(problems({ ...emptyDraft(), unit_price: '0.35' })).toEqual([]);
  });

  it('wants bounds strictly increasing, each above the last valid one, named as written', () => {
    expect(problems(tiered('graduated', [['1000', '0.5'], ['1000.00', '0.4'], ['', '0.3']]))).toEqual([
      ['rules.X.tiers[1].up_to', 'UP_TO_NOT_INCREASING', '阶梯上限必须大于上一阶梯的上限 1000'],
    ]);
    expect(problems(tiered('volume', [['5000.00', '0.5'], ['abc', '0.4'], ['800', '0.3'], ['', '0.2']]))).toEqual([
      ['rules.X.tiers[1].up_to', 'NOT_A_NUMBER', '阶梯上限不是有效的数字'],
      ['rules.X.tiers[2].up_to', 'UP_TO_NOT_INCREASING', '阶梯上限必须大于上一阶梯的上限 5000.00'],
    ]);
  });

  it('wants every bound but the last, and prices ≥ 0 with at most 4 decimals', () => {
    expect(problems(tiered('graduated', [['', '0.5'], ['-1', '-0.1'], ['', '0.12345']]), 'overrides.N')).toEqual([
      ['overrides.N.tiers[0].up_to', 'UNBOUNDED_TIER_NOT_LAST', '只有最后一个阶梯可以不设上限'],
      ['overrides.N.tiers[1].up_to', 'NOT_POSITIVE', '阶梯上限必须大于 0'],
      ['overrides.N.tiers[1].unit_price', 'NEGATIVE', '单价不能为负数'],
      ['overrides.N.tiers[2].unit_price', 'TOO_MANY_DECIMALS', '单价最多保留 4 位小数'],
    ]);
    expect(problems({ mode: 'volume', unit_price: '', tiers: [] })).toEqual([['rules.X.tiers', 'REQUIRED', '至少需要一个阶梯']]);
  });

  it('sends only what the mode uses, the last tier unbounded', () => {
    const draft = tiered('graduated', [[' 1000 ', '0.5'], ['ignored', ' 0.3 ']]);
    expect(draftToRule(draft)).toEqual({ mode: 'graduated', tiers: [{ up_to: '1000', unit_price: '0.5' }, { up_to: null, unit_price: '0.3' }] });
    expect(draftToRule({ ...draft, mode: 'flat', unit_price: '0.35' })).toEqual({ mode: 'flat', unit_price: '0.35' });
    const back = ruleToDraft({ mode: 'volume', tiers: [{ up_to: '1000', unit_price: '0.5000' }, { up_to: null, unit_price: '0.3' }] });
    expect(back.tiers.map((t) => [t.up_to, t.unit_price])).toEqual([['1000', '0.5000'], ['', '0.3']]);
  });

  it('adds rows before the unbounded one and always keeps one', () => {
    const draft = tiered('graduated', [['1000', '0.5'], ['', '0.3']]);
    addTier(draft);
    expect(draft.tiers.map((t) => t.unit_price)).toEqual(['0.5', '', '0.3']);
    removeTier(draft, 1);
    removeTier(draft, 1);
    removeTier(draft, 0);
    expect(draft.tiers).toHaveLength(1);
  });
});

describe('the plan form', () => {
  it('requires a name for a new plan and a reason for a new version', () => {
    const form = emptyPlanForm('2026-03');
    for (const s of ['X', 'N', 'L'] as const) form.rules[s].unit_price = '0.3';
    expect(validatePlanForm(form, 'create').map((e) => e.message)).toEqual(['请填写方案名称']);
    expect(validatePlanForm(form, 'version').map((e) => e.message)).toEqual(['请填写调整原因']);
    form.minimum_charge = '1.234';
    form.name = 'x'.repeat(101);
    expect(validatePlanForm(form, 'create').map((e) => e.field)).toEqual(['name', 'minimum_charge']);
  });
});

describe('paths', () => {
  it('reads request paths', () => {
    expect(splitPath('rules.X.tiers[1].up_to')).toEqual(['rules', 'X', 'tiers', 1, 'up_to']);
    const model = { rules: { X: tiered('graduated', [['1000', '0.5'], ['', '0.3']]) } };
    expect(valueAt(model, 'rules.X.tiers[1].unit_price')).toBe('0.3');
    expect(valueAt(model, 'rules.N.mode')).toBeUndefined();
    expect(parseFieldPath('rules.N.tiers[1].unit_price')).toEqual({ series: 'N', tier: 1, prop: 'unit_price' });
    expect(parseFieldPath('rules.L.mode')).toEqual({ series: 'L', prop: 'mode' });
    expect(parseFieldPath('minimum_charge')).toEqual({ prop: 'minimum_charge' });
    expect(writtenDecimal('+01000.000000')).toBe('1000.0000');
  });

  it('counts months in China time', () => {
    // 2026-02-28 17:00 UTC is already March 1st in Beijing.
    expect(currentPeriod(Date.UTC(2026, 1, 28, 17))).toBe('2026-03');
    expect(currentPeriod(Date.UTC(2026, 1, 28, 15))).toBe('2026-02');
  });
});
