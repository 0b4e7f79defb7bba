import { afterEach, describe, expect, it } from 'vitest';
import i18n from '@/locale';
import type { PriceCliff } from '@/api/types';
import { cliffFacts, cliffMessage, diffValue, fieldLabel, ruleSummary } from '@/utils/pricing-format';
import { checkDecimal, tierRow, validateRule } from '@/utils/pricing-rules';
import { ruleMessage } from '@/views/pricing/usePathErrors';
import { chartLines } from '@/views/pricing/chart';

const t = (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));
const te = (key: string) => i18n.global.te(key);

/** The DESIGN.md example as the server answers it for a volume rule. */
const CLIFF: PriceCliff = {
  boundary: '1000',
  amount_at_boundary: '500.0',
  amount_just_above: '400.00004',
  cheaper_through: '1249.9999',
  break_even: '1250',
};

afterEach(() => {
  i18n.global.locale.value = 'zh-CN';
});

describe('price cliff warning', () => {
  it('states the drop and the cheaper range, amounts rounded to cents', () => {
    expect(cliffFacts(CLIFF)).toEqual({ boundary: '1000', atBoundary: '500.00', justAbove: '1000.0001', amountAbove: '400.00', breakEven: '1250' });
    expect(cliffMessage(CLIFF, t)).toBe(
      '用量超过 1000 后总价反而下降：1000 时 500.00，1000.0001 时 400.00，用量在 (1000, 1250) 区间内比 1000 时更便宜',
    );
  });

  it('says so when the cheaper range never ends (a free last tier)', () => {
    const open = { ...CLIFF, amount_just_above: '0.0000', cheaper_through: null, break_even: null };
    expect(cliffMessage(open, t)).toBe('用量超过 1000 后总价反而下降：1000 时 500.00，1000.0001 时 0.00，超过 1000 的用量都比 1000 时更便宜');
  });

  it('has the same facts in English', () => {
    i18n.global.locale.value = 'en-US';
    expect(cliffMessage(CLIFF, t)).toBe(
      'Beyond a usage of 1000 the total drops: 500.00 at 1000, 400.00 at 1000.0001; any usage in (1000, 1250) costs less than 1000 does',
    );
  });
});

describe('rule messages', () => {
  it('are the server’s Chinese in zh-CN and translated elsewhere', () => {
    const decimals = checkDecimal('0.12345', 'p', 'unitPrice')!;
    const order = validateRule({ mode: 'graduated', unit_price: '', tiers: [tierRow('1000', '1'), tierRow('900', '1'), tierRow('', '1')] }, 'r')[0]!;
    expect(ruleMessage(decimals)).toBe('单价最多保留 4 位小数');
    i18n.global.locale.value = 'en-US';
    expect(ruleMessage(decimals)).toBe('The unit price may have at most 4 decimals');
    expect(ruleMessage(order)).toBe('The tier limit must be greater than the previous limit 1000');
  });
});

describe('diff fields and values', () => {
  it('labels paths for people', () => {
    expect(fieldLabel('rules.N.tiers[1].unit_price', t, te)).toBe('N 系列 · 第 2 档 · 单价');
    expect(fieldLabel('rules.X.mode', t, te)).toBe('X 系列 · 计价模式');
    expect(fieldLabel('minimum_charge', t, te)).toBe('保底金额');
    expect(fieldLabel('something_new', t, te)).toBe('something_new');
  });

  it('shows values by meaning', () => {
    expect(diffValue('rules.X.mode', 'volume', t)).toBe('阶梯定价');
    expect(diffValue('rules.X.tiers[1].up_to', null, t)).toBe('无上限');
    expect(diffValue('minimum_charge', null, t)).toBe('—');
    expect(diffValue('rules.X.tiers[2]', { up_to: '9000', unit_price: '0.2' }, t)).toBe('≤9000 单价 0.2');
    expect(diffValue('rules.X.tiers', [{ up_to: '1000', unit_price: '0.5' }, { up_to: null, unit_price: '0.3' }], t)).toBe(
      '≤1000 单价 0.5；以上 单价 0.3',
    );
    expect(ruleSummary({ mode: 'flat', unit_price: '0.35' }, t)).toBe('单层定价：单价 0.35');
  });
});

describe('chart points', () => {
  const draft = {
    mode: 'volume' as const,
    unit_price: '',
    tiers: [tierRow('1000', '0.5'), tierRow('5000', '0.4'), tierRow('', '0.3')],
  };

  it('draws the three modes over the tiers, with the volume drop at each bound', () => {
    const lines = chartLines(draft);
    expect(lines.map((l) => l.mode)).toEqual(['flat', 'graduated', 'volume']);
    expect(lines[0]?.price).toBe('0.5');
    const graduated = lines[1]?.points ?? [];
    expect(graduated.at(-1)).toEqual([7500, 2850]);
    const volume = lines[2]?.points ?? [];
    expect(volume[1]).toEqual([1000, 500]);
    expect(volume[2]?.[1]).toBeLessThan(401);
  });

  it('stretches to the usage typed, and draws nothing without prices', () => {
    const lines = chartLines(draft, '20000');
    expect(lines[1]?.points.at(-1)?.[0]).toBe(22000);
    expect(chartLines({ mode: 'flat', unit_price: '', tiers: [tierRow(), tierRow()] })).toEqual([]);
    expect(chartLines({ mode: 'flat', unit_price: '0.35', tiers: [tierRow(), tierRow()] }).map((l) => l.mode)).toEqual(['flat']);
  });
});
