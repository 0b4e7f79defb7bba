import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { effectScope, nextTick, reactive, ref } from 'vue';
import { ApiError } from '@/api/http';
import * as api from '@/api/pricing';
import type { BillQuote, CustomerPricing, PricePlan, RuleQuote } from '@/api/types';
import { tierRow, type RuleDraft } from '@/utils/pricing-rules';
import { useCustomerPricing } from '@/views/customers/detail/useCustomerPricing';
import { usePlanEditor } from '@/views/pricing/editor/usePlanEditor';
import { QUOTE_DEBOUNCE_MS, usePlanQuote, useRuleQuote } from '@/views/pricing/useQuote';

vi.mock(import('@/api/pricing'), async (original) => {
  const actual = await original();
  const mocked = Object.fromEntries(Object.keys(actual).map((name) => [name, vi.fn()]));
  return { ...actual, ...mocked };
});

const quoteRule = vi.mocked(api.quoteRule);
const quoteBill = vi.mocked(api.quoteBill);
const createPricePlan = vi.mocked(api.createPricePlan);
const createPlanVersion = vi.mocked(api.createPlanVersion);
const getPricePlan = vi.mocked(api.getPricePlan);
const getCustomerPricing = vi.mocked(api.getCustomerPricing);

const QUOTE_6000: RuleQuote = {
  raw_amount: '2400.0',
  amount: '2400.00',
  breakdown: [
    { from: '0', to: '1000', quantity: '1000', unit_price: '0.5', amount: '500.0' },
    { from: '1000', to: '5000', quantity: '4000', unit_price: '0.4', amount: '1600.0' },
    { from: '5000', to: null, quantity: '1000', unit_price: '0.3', amount: '300.0' },
  ],
};

const graduated = (): RuleDraft => ({
  mode: 'graduated',
  unit_price: '',
  tiers: [tierRow('1000', '0.5'), tierRow('5000', '0.4'), tierRow('', '0.3')],
});

const validation = (field: string, message: string) =>
  new ApiError(400, 'VALIDATION_FAILED', '提交的数据有误，请检查标出的字段', [{ field, code: 'UP_TO_NOT_INCREASING', message }]);

/** Runs a composable in its own effect scope, as a component would. */
function mount<T>(factory: () => T): { value: T; stop: () => void } {
  const scope = effectScope();
  const value = scope.run(factory) as T;
  return { value, stop: () => scope.stop() };
}

beforeEach(() => {
  vi.useFakeTimers();
  for (const fn of [quoteRule, quoteBill, createPricePlan, createPlanVersion, getPricePlan, getCustomerPricing]) fn.mockReset();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('live rule quote', () => {
  it('waits for typing to stop, then asks the server once, silently', async () => {
    quoteRule.mockResolvedValue(QUOTE_6000);
    const draft = reactive(graduated());
    const usage = ref('6');
    const { value: quote, stop } = mount(() => useRuleQuote(() => draft, () => usage.value));
    usage.value = '60';
    await nextTick();
    usage.value = '6000';
    await nextTick();
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS);
    expect(quoteRule).toHaveBeenCalledTimes(1);
    expect(quoteRule).toHaveBeenCalledWith(
      {
        rule: { mode: 'graduated', tiers: [{ up_to: '1000', unit_price: '0.5' }, { up_to: '5000', unit_price: '0.4' }, { up_to: null, unit_price: '0.3' }] },
        usage: '6000',
      },
      { silent: true },
    );
    expect(quote.result.value?.amount).toBe('2400.00');
    expect(quote.current.value).toBe(true);
    stop();
  });

  it('keeps only the answer to the latest question', async () => {
    let first!: (value: RuleQuote) => void;
    quoteRule.mockImplementationOnce(() => new Promise((resolve) => (first = resolve)));
    quoteRule.mockResolvedValueOnce(QUOTE_6000);
    const draft = reactive(graduated());
    const usage = ref('10');
    const { value: quote, stop } = mount(() => useRuleQuote(() => draft, () => usage.value));
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS);
    usage.value = '6000';
    await nextTick();
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS);
    first({ ...QUOTE_6000, amount: '5.00' });
    await vi.advanceTimersByTimeAsync(0);
    expect(quote.result.value?.amount).toBe('2400.00');
    stop();
  });

  it('sends nothing while the rule or the usage is wrong, and says why', async () => {
    const draft = reactive(graduated());
    draft.tiers[1]!.up_to = '800';
    const usage = ref('-1');
    const { value: quote, stop } = mount(() => useRuleQuote(() => draft, () => usage.value));
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS * 2);
    expect(quote.ruleReady.value).toBe(false);
    expect(quote.usageError.value).toBe('用量不能为负数');
    expect(quoteRule).not.toHaveBeenCalled();
    stop();
  });

  it('quotes a volume rule without usage for its cliffs, and shows the server error text', async () => {
    quoteRule.mockResolvedValueOnce({ ...QUOTE_6000, cliffs: [{ boundary: '1000', amount_at_boundary: '500', amount_just_above: '400.00004', cheaper_through: '1249.9999', break_even: '1250' }] });
    const draft = reactive({ ...graduated(), mode: 'volume' as const });
    const usage = ref('');
    const { value: quote, stop } = mount(() => useRuleQuote(() => draft, () => usage.value));
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS);
    expect(quoteRule.mock.calls[0]?.[0].usage).toBe('0');
    expect(quote.hasUsage.value).toBe(false);
    expect(quote.cliffs.value).toHaveLength(1);

    quoteRule.mockRejectedValueOnce(new ApiError(422, 'AMOUNT_OUT_OF_RANGE', '金额超出可计算范围'));
    usage.value = '1';
    await nextTick();
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS);
    expect(quote.error.value).toBe('金额超出可计算范围');
    stop();
  });
});

describe('plan total', () => {
  it('prices the unsaved plan for the usage typed, valid series only', async () => {
    const total: BillQuote = { lines: [], total: '500.00' };
    quoteBill.mockResolvedValue(total);
    const form = reactive({ minimum_charge: '500', rules: { X: graduated(), N: { ...graduated(), mode: 'flat' as const, unit_price: '0.2' }, L: graduated() } });
    const usages = reactive({ X: '6000', N: 'abc', L: '' });
    const { value: quote, stop } = mount(() => usePlanQuote(() => form, () => usages));
    await vi.advanceTimersByTimeAsync(QUOTE_DEBOUNCE_MS);
    const body = quoteBill.mock.calls[0]?.[0] as { plan: { minimum_charge: string; rules: Record<string, unknown> }; usage: unknown };
    expect(body.usage).toEqual({ X: '6000' });
    expect(body.plan.minimum_charge).toBe('500');
    expect(body.plan.rules.N).toEqual({ mode: 'flat', unit_price: '0.2' });
    expect(quote.result.value?.total).toBe('500.00');
    stop();
  });
});

const PLAN: PricePlan = {
  id: 3,
  name: '标准方案',
  current_version: 2,
  effective_from: '2026-03',
  minimum_charge: '500.00',
  rules: {
    X: { mode: 'graduated', tiers: [{ up_to: '1000', unit_price: '0.5' }, { up_to: null, unit_price: '0.3' }] },
    N: { mode: 'flat', unit_price: '0.35' },
    L: { mode: 'volume', tiers: [{ up_to: '200', unit_price: '2' }, { up_to: null, unit_price: '1.5' }] },
  },
  reason: null,
  in_force_version: 2,
  customers: 1,
  created_at: '2026-03-01T00:00:00Z',
  created_by: 1,
  updated_at: '2026-03-01T00:00:00Z',
  updated_by: 1,
};

describe('plan editor', () => {
  it('checks in the browser first, then sends strings only', async () => {
    createPricePlan.mockResolvedValue({ ...PLAN, current_version: 1, warnings: [{ code: 'VOLUME_PRICE_CLIFF', field: 'rules.L', message: 'L 系列…' }] });
    const { value: editor, stop } = mount(() => usePlanEditor(null));
    expect(await editor.submit()).toEqual({ ok: false, reason: 'invalid' });
    expect(editor.errors.value.name).toBe('请填写方案名称');
    expect(editor.errors.value['rules.X.unit_price']).toBe('请填写单价');
    expect(createPricePlan).not.toHaveBeenCalled();

    editor.form.name = ' 标准方案 ';
    editor.form.rules.X = graduated();
    editor.form.rules.N.unit_price = '0.35';
    editor.form.rules.L = { ...graduated(), mode: 'volume' };
    const outcome = await editor.submit();
    expect(outcome).toEqual({ ok: true, planId: 3, version: 1, warnings: [{ code: 'VOLUME_PRICE_CLIFF', field: 'rules.L', message: 'L 系列…' }] });
    const [body, config] = createPricePlan.mock.calls[0] ?? [];
    expect(config).toEqual({ silent: true });
    expect(body?.name).toBe('标准方案');
    expect(body?.minimum_charge).toBeNull();
    expect(body?.reason).toBeNull();
    expect(body?.rules.N).toEqual({ mode: 'flat', unit_price: '0.35' });
    expect(JSON.stringify(body)).not.toMatch(/:\s*\d/);
    stop();
  });

  it('puts the server’s 400 details on their cells until the value changes', async () => {
    const { value: editor, stop } = mount(() => usePlanEditor(null));
    editor.form.name = '方案';
    editor.form.rules.X = graduated();
    editor.form.rules.N.unit_price = '0.35';
    editor.form.rules.L.unit_price = '0.35';
    createPricePlan.mockRejectedValueOnce(validation('rules.X.tiers[1].up_to', '服务器：阶梯上限必须大于上一阶梯的上限 1000'));
    const outcome = await editor.submit();
    expect(outcome).toEqual({ ok: false, reason: 'rejected', message: '提交的数据有误，请检查标出的字段' });
    expect(editor.errors.value['rules.X.tiers[1].up_to']).toBe('服务器：阶梯上限必须大于上一阶梯的上限 1000');
    expect(editor.unplaced.value).toEqual([]);
    editor.form.rules.X.tiers[1]!.up_to = '6000';
    expect(editor.errors.value['rules.X.tiers[1].up_to']).toBeUndefined();

    createPricePlan.mockRejectedValueOnce(new ApiError(409, 'DUPLICATE_PLAN_NAME', '方案名称已存在', [{ field: 'name', code: 'DUPLICATE_PLAN_NAME', message: '方案名称已存在' }]));
    await editor.submit();
    expect(editor.errors.value.name).toBe('方案名称已存在');
    createPricePlan.mockRejectedValueOnce(validation('rules', '计价规则应为按设备系列（X、N、L）填写的对象'));
    await editor.submit();
    expect(editor.unplaced.value).toEqual(['rules：计价规则应为按设备系列（X、N、L）填写的对象']);
    stop();
  });

  it('starts a new version from the current prices and sends the base version', async () => {
    getPricePlan.mockResolvedValue(PLAN);
    const { value: editor, stop } = mount(() => usePlanEditor(3));
    await editor.load();
    expect(editor.form.minimum_charge).toBe('500.00');
    expect(editor.form.rules.X.tiers.map((t) => t.up_to)).toEqual(['1000', '']);
    expect(editor.nextVersion.value).toBe(3);
    expect((await editor.submit()).ok).toBe(false);
    expect(editor.errors.value.reason).toBe('请填写调整原因');

    editor.form.reason = 'N 系列降价';
    editor.form.rules.N.unit_price = '0.30';
    createPlanVersion.mockRejectedValueOnce(new ApiError(409, 'VERSION_CONFLICT', '方案已被他人调整'));
    expect(await editor.submit()).toEqual({ ok: false, reason: 'conflict', message: '方案已被他人调整' });
    const [id, body] = createPlanVersion.mock.calls[0] ?? [];
    expect(id).toBe(3);
    expect(body).toMatchObject({ reason: 'N 系列降价', base_version: 2, minimum_charge: '500.00' });
    expect(body?.rules.N).toEqual({ mode: 'flat', unit_price: '0.30' });
    stop();
  });

  it('shows the 404 page for a plan that is gone', async () => {
    getPricePlan.mockRejectedValue(new ApiError(404, 'NOT_FOUND', '定价方案不存在'));
    const { value: editor, stop } = mount(() => usePlanEditor(9));
    await editor.load();
    expect(editor.missing.value).toBe(true);
    stop();
  });
});

describe('customer pricing', () => {
  const VIEW: CustomerPricing = {
    customer_id: 12,
    period: '2026-03',
    plan: { id: 3, name: '标准方案' },
    version: { version: 2, effective_from: '2026-03' },
    minimum_charge: null,
    overrides: {},
    effective_rules: { X: { source: 'plan', rule: { mode: 'flat', unit_price: '0.3' } } },
    updated_at: null,
    updated_by: null,
  };

  it('loads the month chosen and quotes with the customer and that month', async () => {
    getCustomerPricing.mockResolvedValue(VIEW);
    quoteBill.mockRejectedValueOnce(new ApiError(422, 'NO_PRICE_PLAN', '该客户尚未设置定价方案'));
    const { value: pricing, stop } = mount(() => useCustomerPricing(() => 12));
    pricing.period.value = '2026-03';
    await vi.advanceTimersByTimeAsync(0);
    expect(getCustomerPricing).toHaveBeenLastCalledWith(12, '2026-03', { silent: true });
    expect(pricing.view.value?.plan?.name).toBe('标准方案');

    pricing.usages.X = '100';
    pricing.usages.N = '-2';
    expect(pricing.usageProblems()).toEqual({ N: '用量不能为负数' });
    pricing.usages.N = '';
    await pricing.runQuote();
    expect(quoteBill).toHaveBeenCalledWith({ customer_id: 12, usage: { X: '100' }, period: '2026-03' }, { silent: true });
    expect(pricing.quoteError.value).toBe('该客户尚未设置定价方案');
    stop();
  });
});
