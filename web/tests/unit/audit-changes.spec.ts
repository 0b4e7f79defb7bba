import { describe, expect, it } from 'vitest';
import { fieldName, showValue, toChangeRows, type ValueContext } from '@/views/audit/data';

describe('audit changes', () => {
  it('reads {before: {...}, after: {...}}', () => {
    expect(toChangeRows({ before: { role: 'sales' }, after: { role: 'operations', status: 'disabled' } })).toEqual([
      { field: 'role', before: 'sales', after: 'operations' },
      { field: 'status', before: undefined, after: 'disabled' },
    ]);
  });

  it('reads a creation with only after', () => {
    expect(toChangeRows({ after: { username: 'li' } })).toEqual([{ field: 'username', before: undefined, after: 'li' }]);
  });

  it('reads {field: {before, after}}, {field: {old, new}} and {field: [before, after]}', () => {
    expect(toChangeRows({ role: { before: 'sales', after: 'management' } })).toEqual([
      { field: 'role', before: 'sales', after: 'management' },
    ]);
    expect(toChangeRows({ status: { old: 'active', new: 'disabled' } })).toEqual([
      { field: 'status', before: 'active', after: 'disabled' },
    ]);
    expect(toChangeRows({ display_name: ['A', 'B'] })).toEqual([{ field: 'display_name', before: 'A', after: 'B' }]);
  });

  it('reads facts (not changes) as their value, and gives up only on what is no object', () => {
    expect(toChangeRows({ file_name: '流水.csv', created: 12 })).toEqual([
      { field: 'file_name', before: undefined, after: '流水.csv' },
      { field: 'created', before: undefined, after: 12 },
    ]);
    expect(toChangeRows(null)).toBeNull();
    expect(toChangeRows({})).toEqual([]);
  });
});

describe('audit values as people read them', () => {
  const ctx: ValueContext = {
    t: (key, values) => {
      const messages: Record<string, string> = {
        'audit.fields.amount': '金额',
        'audit.fields.payment_id': '收款',
        'audit.fields.bill_id': '账单',
        'audit.changes.empty': '（空）',
        'audit.changes.encrypted': '（加密存储，不显示）',
        'audit.changes.record': `记录 #${String(values?.id)}（已不存在）`,
        'payments.method.bank_transfer': '银行转账',
        'bills.status.paid': '已结算',
        'customers.fields.sales_owner_id': '销售负责人',
        'common.yes': '是',
      };
      return messages[key] ?? key;
    },
    te: (key) =>
      ['audit.fields.amount', 'audit.fields.payment_id', 'audit.fields.bill_id', 'payments.method.bank_transfer', 'bills.status.paid', 'customers.fields.sales_owner_id'].includes(key),
    refs: { 'user:3': '张三（zhang.san）', 'payment:12': 'P202611-000012', 'bill:7': 'B202610-000007' },
  };

  it('names records by their number or name, never an id', () => {
    expect(showValue('sales_owner_id', 3, ctx)).toBe('张三（zhang.san）');
    expect(showValue('payment_id', 12, ctx)).toBe('P202611-000012');
    expect(showValue('bill_id', 99, ctx)).toBe('记录 #99（已不存在）');
    expect(fieldName('sales_owner_id', ctx)).toBe('销售负责人');
  });

  it('groups amounts, names codes, hides hashes and reads nested objects as pairs', () => {
    expect(showValue('amount', '1234567.89', ctx)).toBe('1,234,567.89');
    expect(showValue('allocated', '-1000.00', ctx)).toBe('-1,000.00');
    expect(showValue('method', 'bank_transfer', ctx)).toBe('银行转账');
    expect(showValue('status', 'paid', ctx)).toBe('已结算');
    expect(showValue('contact_phone', 'a1b2c3', ctx)).toBe('（加密存储，不显示）');
    expect(showValue('allocation', { id: 9, payment_id: 12, amount: '1200.00' }, ctx)).toBe('收款：P202611-000012，金额：1,200.00');
    expect(showValue('allocations', [{ id: 1, bill_id: 7, amount: '5.00' }, { id: 2, bill_id: 7, amount: '6.00' }], ctx)).toBe(
      '账单：B202610-000007，金额：5.00；账单：B202610-000007，金额：6.00',
    );
    expect(showValue('device_series', ['X', 'N'], ctx)).toBe('X、N');
    expect(showValue('remarks', null, ctx)).toBe('（空）');
    expect(showValue('must_change_password', true, ctx)).toBe('是');
  });
});

describe('a customer’s 操作记录 entry', () => {
  it('reads 字段：前 → 后 in Chinese, people by name, never raw JSON', async () => {
    const { createApp, h, nextTick } = await import('vue');
    const ArcoVue = (await import('@arco-design/web-vue')).default;
    const i18n = (await import('@/locale')).default;
    const ChangesView = (await import('@/views/audit/components/ChangesView.vue')).default;
    i18n.global.locale.value = 'zh-CN';
    const el = document.createElement('div');
    document.body.appendChild(el);
    const app = createApp({
      render: () =>
        h(ChangesView, {
          action: 'customer.update',
          changes: {
            region: { before: null, after: '上海市' },
            sales_owner_id: { before: 3, after: 4 },
            account_status: { before: 'trial', after: 'active' },
            contact_phone: { before: 'ab12', after: 'cd34' },
          },
          refs: { 'user:3': '张三（zhang.san）', 'user:4': '李四（li.si）' },
        }),
    });
    app.use(ArcoVue).use(i18n).mount(el);
    await nextTick();
    const lines = [...el.querySelectorAll('[data-testid="audit-change"]')].map((li) => li.textContent?.replace(/\s+/g, ''));
    expect(lines[0]).toBe('所在地区：（空）→上海市');
    expect(lines[1]).toMatch(/：张三（zhang\.san）→李四（li\.si）$/);
    expect(lines[2]).toMatch(/：试用→/);
    expect(lines[3]).toContain('加密存储');
    expect(el.querySelector('pre')).toBeNull();
    app.unmount();
    el.remove();
  });
});
