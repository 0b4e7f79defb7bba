/**
 * Payments end to end: a real opcms, a real Chromium. A customer with two issued bills
 * is seeded through the API (customer, flat price plan, usage in two months, generation,
 * issue); the admin records the customer's bank receipt on 登记收款, is refused the same
 * reference again (409 DUPLICATE_PAYMENT, in Chinese, with the payment already recorded),
 * writes the receipt off across both bills on the 核销工作台, sees both bills 已结算,
 * reverses one allocation with a reason, and sees that bill back to 未结算 and the
 * payment's unapplied amount restored. Steps build on each other.
 *
 * The two months are three and two months back (China time), clear of the months the
 * bills and usage files bill and count.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { apiClient } from './api';
import { ADMIN_NEW_PASSWORD } from './config';
import { adminSession, loginAndSettle, openPage, PHONE, screenshot } from './browser';

const baseURL = inject('baseURL');
const apiURL = inject('apiURL');
const { must, adminToken } = apiClient(apiURL);

const CUSTOMER = '苏州工业园区收款测试物业有限公司';
const PAYER = '苏州收款测试物业';
const PLAN = '收款测试单一价方案';
const REFERENCE = 'E2E-PAY-20261120-0001';
const REVERSE_REASON = '核销到了错误的账单';

/** `months` months before this month in China, `YYYY-MM`. */
function monthsAgoChina(months: number): string {
  const china = new Date(Date.now() + 8 * 3600 * 1000);
  const first = new Date(Date.UTC(china.getUTCFullYear(), china.getUTCMonth() - months, 1));
  return `${first.getUTCFullYear()}-${String(first.getUTCMonth() + 1).padStart(2, '0')}`;
}
const OLDER = monthsAgoChina(3);
const NEWER = monthsAgoChina(2);

interface SeededBill {
  id: number;
  bill_no: string;
  total: string;
}

let browser: Browser;
let context: BrowserContext;
let page: Page;
let pageErrors: string[];
let customerId = 0;
let customerCode = '';
let older: SeededBill;
let newer: SeededBill;
let paymentId = 0;
let paymentNo = '';

const modal = (p: Page, testId: string) => p.locator(`[data-testid="${testId}"]`);
const okButton = (dialog: Locator) => dialog.locator('.arco-modal-footer .arco-btn-primary');
const amountIn = (scope: Locator, name: string) => scope.locator(`[data-amount="${name}"]`).first().getAttribute('data-value');
const isCall = (method: string, path: RegExp) => (r: { request(): { method(): string }; url(): string }) =>
  r.request().method() === method && path.test(new URL(r.url()).pathname);
const allocationRow = (p: Page, billNo: string) => p.locator('[data-testid="allocations"] tbody .arco-table-tr', { hasText: billNo });

async function pickCustomer(p: Page, field: string, name: string) {
  const picker = p.locator(`[data-field="${field}"]`);
  await picker.click();
  await picker.locator('input').fill(name);
  await p.locator('.arco-select-option', { hasText: name }).first().click();
}

/** Fill the 登记收款 form (the date defaults to today, the method to 银行转账) and save it. */
async function recordPayment(p: Page, amount: string, reference: string) {
  await p.goto('/payments/new');
  await p.locator('[data-testid="payment-form"]').waitFor();
  await pickCustomer(p, 'customer_id', CUSTOMER);
  await p.locator('[data-field="amount"] input').fill(amount);
  await p.locator('[data-field="payer_name"] input').fill(PAYER);
  await p.locator('[data-field="reference"] input').fill(reference);
  const [response] = await Promise.all([
    p.waitForResponse(isCall('POST', /^\/api\/v1\/payments$/)),
    p.locator('[data-testid="save-payment"]').click(),
  ]);
  return response;
}

describe('payments', () => {
  beforeAll(async () => {
    const token = await adminToken();
    const customer = await must<{ id: number; customer_code: string }>(
      'POST',
      '/customers',
      { company_name: CUSTOMER, account_status: 'active', device_series: ['X'], payment_terms_days: 15 },
      token,
    );
    customerId = customer.id;
    customerCode = customer.customer_code;
    const rules = { X: { mode: 'flat', unit_price: '0.5' }, N: { mode: 'flat', unit_price: '0.2' }, L: { mode: 'flat', unit_price: '0.2' } };
    const plan = await must<{ id: number }>('POST', '/price-plans', { name: PLAN, effective_from: OLDER, rules }, token);
    await must('PUT', `/customers/${customerId}/pricing`, { plan_id: plan.id }, token);
    // X 4000 × 0.5 = 2000.00 in the older month, X 6000 × 0.5 = 3000.00 in the newer one.
    await must('POST', '/usage', {
      records: [
        { customer_id: customerId, series: 'X', day: `${OLDER}-10`, quantity: '4000' },
        { customer_id: customerId, series: 'X', day: `${NEWER}-10`, quantity: '6000' },
      ],
    }, token);

    const billOf = async (period: string): Promise<SeededBill> => {
      await must('POST', '/bills/generate', { period, customer_ids: [customerId] }, token);
      const list = await must<{ items: SeededBill[] }>('GET', `/bills?customer_id=${customerId}&period=${period}`, undefined, token);
      const bill = list.items[0];
      if (!bill) throw new Error(`no bill generated for ${period}`);
      // A spike against the months before is a warning, not a reason to hold the bill.
      await must('POST', `/bills/${bill.id}/issue`, { acknowledge_warnings: true }, token);
      return bill;
    };
    older = await billOf(OLDER);
    newer = await billOf(NEWER);
    expect([older.total, newer.total]).toEqual(['2000.00', '3000.00']);

    ({ browser, context, page, errors: pageErrors } = await adminSession(baseURL, ADMIN_NEW_PASSWORD));
  });

  afterAll(async () => {
    await context?.close();
    await browser?.close();
  });

  it('opens 收款列表 from the 收款核销 menu, with 银行流水导入 and 账龄分析 beside it', async () => {
    await page.locator('.side-menu').getByText('收款核销').waitFor();
    await page.locator('.side-menu [data-menu="PaymentImport"]').waitFor();
    await page.locator('.side-menu [data-menu="ReceivablesAging"]').waitFor();
    await page.locator('.side-menu [data-menu="Payments"]').click();
    await page.waitForURL(/\/payments$/);
    await page.locator('[data-testid="payments-table"]').waitFor();
    await page.locator('[data-testid="create-payment"]').getByText('登记收款').waitFor();
  });

  it('records the customer’s receipt of 5000.00 and opens it, 未核销', async () => {
    const response = await recordPayment(page, '5000', REFERENCE);
    expect(response.status()).toBe(201);
    const sent = JSON.parse(response.request().postData() ?? '{}') as Record<string, unknown>;
    expect(sent).toMatchObject({ customer_id: customerId, amount: '5000', method: 'bank_transfer', payer_name: PAYER, reference: REFERENCE });
    expect(sent.received_at).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const created = (await response.json()) as { id: number; payment_no: string };
    paymentId = created.id;
    paymentNo = created.payment_no;
    expect(paymentNo).toMatch(/^P\d{6}-\d{6}$/);

    await page.waitForURL(new RegExp(`/payments/${paymentId}$`));
    await expect(page.locator('[data-testid="payment-no"]').textContent()).resolves.toBe(paymentNo);
    await expect(page.locator('[data-testid="payment-status"]').textContent()).resolves.toBe('未核销');
    const amounts = page.locator('[data-testid="payment-amounts"]');
    await expect(amountIn(amounts, 'amount')).resolves.toBe('5000.00');
    await expect(amountIn(amounts, 'unapplied')).resolves.toBe('5000.00');
    await expect(page.locator('[data-testid="payment-customer"]').textContent()).resolves.toContain(CUSTOMER);
  });

  it('refuses the same bank reference again with the Chinese 409 naming the payment already recorded', async () => {
    const response = await recordPayment(page, '100', REFERENCE);
    expect(response.status()).toBe(409);
    const answer = (await response.json()) as { error: { code: string; message: string } };
    expect(answer.error.code).toBe('DUPLICATE_PAYMENT');

    const notice = page.locator('[data-testid="duplicate-payment"]');
    await notice.waitFor();
    await expect(notice.textContent()).resolves.toContain('这笔收款已经登记过');
    const shown = await notice.locator('[data-testid="duplicate-message"]').textContent();
    expect(shown).toBe(answer.error.message);
    expect(shown).toMatch(/[\u4e00-\u9fff]/);
    const link = notice.locator('[data-testid="duplicate-link"]');
    await expect(link.getAttribute('href')).resolves.toBe(`/payments/${paymentId}`);
    await expect(link.textContent()).resolves.toContain(paymentNo);
    await page.locator('[data-error-for="reference"]').waitFor();
    // Still on the form: nothing was recorded.
    expect(new URL(page.url()).pathname).toBe('/payments/new');
    await screenshot(page, 'payment-duplicate');
  });

  it('keeps a half-filled form when Enter is pressed in the date picker, and saves all of it on 保存', async () => {
    // A customer of its own: the receipt must not change the other steps' balances.
    const other = '回车测试物业有限公司';
    await must('POST', '/customers', { company_name: other, account_status: 'active', device_series: ['X'] }, await adminToken());
    await page.goto('/payments/new');
    await page.locator('[data-testid="payment-form"]').waitFor();
    const posts: string[] = [];
    const count = (r: { method(): string; url(): string }) => {
      if (r.method() === 'POST' && new URL(r.url()).pathname === '/api/v1/payments') posts.push(r.url());
    };
    page.on('request', count);
    await pickCustomer(page, 'customer_id', other);
    await page.locator('[data-field="amount"] input').fill('12.34');
    await page.locator('[data-field="payer_name"] input').fill(PAYER);
    await page.locator('[data-field="reference"] input').fill('E2E-ENTER-0001');
    await page.locator('textarea[data-field="remarks"], [data-field="remarks"] textarea').first().fill('回车不提交');
    const day = page.locator('[data-field="received_at"] input');
    await day.click();
    await day.fill(`${NEWER}-15`);
    await day.press('Enter');
    await page.waitForTimeout(800);
    expect(posts).toEqual([]);
    expect(new URL(page.url()).pathname).toBe('/payments/new');
    await expect(page.locator('[data-field="payer_name"] input').inputValue()).resolves.toBe(PAYER);
    await expect(page.locator('textarea[data-field="remarks"], [data-field="remarks"] textarea').first().inputValue()).resolves.toBe('回车不提交');
    await expect(day.inputValue()).resolves.toBe(`${NEWER}-15`);
    await screenshot(page, 'payment-enter-in-date-picker');
    page.off('request', count);
    const [response] = await Promise.all([
      page.waitForResponse(isCall('POST', /^\/api\/v1\/payments$/)),
      page.locator('[data-testid="save-payment"]').click(),
    ]);
    expect(response.status()).toBe(201);
    const saved = (await response.json()) as { payer_name: string; reference: string; remarks: string; received_at: string };
    expect(saved).toMatchObject({ payer_name: PAYER, reference: 'E2E-ENTER-0001', remarks: '回车不提交', received_at: `${NEWER}-15` });
  });

  it('opens the workbench with both open bills and the suggestion that settles them', async () => {
    await page.goto(`/payments/${paymentId}`);
    await page.locator('[data-testid="allocate-payment"]').click();
    await page.waitForURL(new RegExp(`/payments/${paymentId}/allocate$`));
    const bills = page.locator('[data-testid="open-bills"]');
    await bills.locator(`[data-open-bill="${older.bill_no}"]`).waitFor();
    await bills.locator(`[data-open-bill="${newer.bill_no}"]`).waitFor();
    // 2000.00 + 3000.00 is exactly what the payment has.
    const subset = page.locator('[data-testid="suggestion"][data-kind="subset"]');
    await subset.waitFor();
    await expect(subset.locator('[data-testid="suggestion-reason"]').textContent()).resolves.toMatch(/[\u4e00-\u9fff]/);
    await expect(amountIn(page.locator('[data-testid="workbench-remaining"]'), 'remaining')).resolves.toBe('5000.00');
  });

  it('writes it off across both bills: remaining live and exact, red when over, then confirmed', async () => {
    const remaining = page.locator('[data-testid="workbench-remaining"]');
    // Tick the older bill (fills its 2000.00), type one cent too many on the newer.
    await page.locator(`[data-pick="${older.bill_no}"]`).click();
    await expect.poll(() => page.locator(`[data-bill-amount="${older.bill_no}"] input, input[data-bill-amount="${older.bill_no}"]`).first().inputValue()).toBe('2000.00');
    await page.locator(`[data-bill-amount="${newer.bill_no}"] input, input[data-bill-amount="${newer.bill_no}"]`).first().fill('3000.01');
    await expect.poll(() => amountIn(remaining, 'remaining')).toBe('-0.01');
    await expect(remaining.getAttribute('data-negative')).resolves.toBe('true');
    await page.locator(`[data-error-for="bill:${newer.id}"]`).getByText(`账单 ${newer.bill_no} 的核销金额 3000.01 超过其未结金额 3000.00`).waitFor();
    await screenshot(page, 'payment-workbench-over');

    await page.locator('[data-testid="suggestion"][data-kind="subset"] [data-testid="apply-suggestion"]').click();
    await expect.poll(() => amountIn(remaining, 'remaining')).toBe('0.00');
    await expect(remaining.getAttribute('data-negative')).resolves.toBe('false');
    await expect(page.locator('[data-testid="workbench-status-after"]').textContent()).resolves.toBe('已核销');

    const [response] = await Promise.all([
      page.waitForResponse(isCall('POST', new RegExp(`^/api/v1/payments/${paymentId}/allocations$`))),
      page.locator('[data-testid="confirm-allocation"]').click(),
    ]);
    expect(response.status()).toBe(200);
    const sent = JSON.parse(response.request().postData() ?? '{}') as { allocations: { bill_id: number; amount: string }[] };
    expect(sent.allocations).toEqual([
      { bill_id: older.id, amount: '2000.00' },
      { bill_id: newer.id, amount: '3000.00' },
    ]);

    await page.waitForURL(new RegExp(`/payments/${paymentId}$`));
    await expect.poll(() => page.locator('[data-testid="payment-status"]').textContent()).toBe('已核销');
    await expect(amountIn(page.locator('[data-testid="payment-amounts"]'), 'unapplied')).resolves.toBe('0.00');
    await allocationRow(page, older.bill_no).locator('[data-status="active"]').waitFor();
    await allocationRow(page, newer.bill_no).locator('[data-status="active"]').waitFor();
    await screenshot(page, 'payment-detail-applied');
  });

  it('shows both bills 已结算, each with the write-off in its 核销记录', async () => {
    for (const bill of [older, newer]) {
      await page.goto(`/bills/${bill.id}`);
      await expect.poll(() => page.locator('[data-testid="bill-status"]').textContent()).toBe('已结算');
      await expect(amountIn(page.locator('[data-testid="bill-amounts"]'), 'outstanding')).resolves.toBe('0.00');
      await page.locator('[data-testid="bill-tabs"] .arco-tabs-tab', { hasText: '核销记录' }).click();
      const record = page.locator('[data-testid="bill-allocations"]');
      await record.locator(`[data-allocation-payment="${paymentId}"]`).waitFor();
      await expect(record.locator('[data-status="active"]').count()).resolves.toBe(1);
    }
  });

  it('reverses the newer bill’s allocation, only with a reason', async () => {
    await page.goto(`/payments/${paymentId}`);
    await allocationRow(page, newer.bill_no).locator('[data-testid="reverse-allocation"]').click();
    const dialog = modal(page, 'reverse-modal');
    await dialog.locator('[data-testid="reverse-hint"]').getByText(newer.bill_no).waitFor();
    await okButton(dialog).click();
    await dialog.locator('[data-error-for="reason"]').getByText('请填写撤销原因').waitFor();

    await dialog.locator('[data-field="reason"] textarea').fill(REVERSE_REASON);
    const [response] = await Promise.all([page.waitForResponse(isCall('POST', /^\/api\/v1\/allocations\/\d+\/reverse$/)), okButton(dialog).click()]);
    expect(response.status()).toBe(200);
    expect(JSON.parse(response.request().postData() ?? '{}')).toEqual({ reason: REVERSE_REASON });

    await expect.poll(() => page.locator('[data-testid="payment-status"]').textContent()).toBe('部分核销');
    await expect(amountIn(page.locator('[data-testid="payment-amounts"]'), 'unapplied')).resolves.toBe('3000.00');
    await expect(amountIn(page.locator('[data-testid="payment-amounts"]'), 'allocated')).resolves.toBe('2000.00');
    const reversed = allocationRow(page, newer.bill_no);
    await reversed.locator('[data-status="reversed"]').waitFor();
    await expect(reversed.locator('[data-testid="reverse-reason"]').textContent()).resolves.toBe(REVERSE_REASON);
    await allocationRow(page, older.bill_no).locator('[data-status="active"]').waitFor();
    await page.locator('[data-testid="payment-tabs"] .arco-tabs-tab', { hasText: '操作记录' }).click();
    await page.locator('[data-testid="audit-entry"]').first().waitFor();
    await screenshot(page, 'payment-reversed');
  });

  it('shows the newer bill back to 未结算 with its amount outstanding again, the older one still 已结算', async () => {
    await page.goto(`/bills/${newer.id}`);
    await expect.poll(() => page.locator('[data-testid="bill-status"]').textContent()).toBe('未结算');
    await expect(amountIn(page.locator('[data-testid="bill-amounts"]'), 'outstanding')).resolves.toBe('3000.00');
    await page.locator('[data-testid="bill-tabs"] .arco-tabs-tab', { hasText: '核销记录' }).click();
    await page.locator('[data-testid="bill-allocations"] [data-status="reversed"]').getByText(REVERSE_REASON).waitFor();

    await page.goto(`/bills/${older.id}`);
    await expect.poll(() => page.locator('[data-testid="bill-status"]').textContent()).toBe('已结算');
  });

  it('lists the payment 部分核销 with the money it has left', async () => {
    await page.goto(`/payments?q=${encodeURIComponent(REFERENCE)}`);
    const row = page.locator('[data-testid="payments-table"] tbody .arco-table-tr', { hasText: paymentNo });
    await row.locator('[data-status="partially_applied"]').waitFor();
    await expect(amountIn(row, 'unapplied')).resolves.toBe('3000.00');
    await expect(page.locator('[data-testid="payments-totals"]').textContent()).resolves.toBe('合计 1 笔');
    await screenshot(page, 'payments-list');
  });

  it('shows the balance on the customer’s 对账单 and in 账龄分析', async () => {
    await page.goto(`/customers/${customerId}?tab=statement`);
    const summary = page.locator('[data-testid="statement-summary"]');
    await summary.waitFor();
    await expect(amountIn(summary, 'unapplied')).resolves.toBe('3000.00');
    await expect(amountIn(summary, 'outstanding')).resolves.toBe('3000.00');

    await page.goto(`/receivables/aging?q=${encodeURIComponent(CUSTOMER)}`);
    const row = page.locator('[data-testid="aging-table"] tbody .arco-table-tr', { has: page.locator(`[data-customer="${customerCode}"]`) });
    await row.waitFor();
    await expect(amountIn(row, 'outstanding')).resolves.toBe('3000.00');
    await expect(amountIn(row, 'unapplied')).resolves.toBe('3000.00');
    await expect(amountIn(row, 'net')).resolves.toBe('0.00');
    await screenshot(page, 'receivables-aging');
  });

  it('prints the 对账单 of the period and saves it as PDF and Excel', async () => {
    await page.goto(`/customers/${customerId}?tab=statement`);
    const ledger = page.locator('[data-testid="statement-ledger"]');
    await ledger.waitFor();
    await expect(ledger.locator('[data-amount="closing"]').getAttribute('data-value')).resolves.toMatch(/^-?\d+\.\d{2}$/);
    const [pdf] = await Promise.all([
      page.waitForResponse((r) => /\/customers\/\d+\/statement\/pdf$/.test(new URL(r.url()).pathname)),
      ledger.locator('[data-testid="statement-print"]').click(),
    ]);
    expect(pdf.status()).toBe(200);
    expect(pdf.headers()['content-type']).toBe('application/pdf');
    await page.locator('[data-testid="statement-pdf-frame"]').waitFor();
    await screenshot(page, 'statement-print');
    await page.keyboard.press('Escape');
    const [xlsx] = await Promise.all([
      page.waitForResponse((r) => /\/statement\/export$/.test(new URL(r.url()).pathname)),
      ledger.locator('[data-testid="statement-xlsx"]').click(),
    ]);
    expect(xlsx.status()).toBe(200);
    expect(decodeURIComponent(xlsx.headers()['content-disposition'] ?? '')).toContain(`对账单-${customerCode}-`);
  });

  it('keeps 未核销, 未结金额 and 逾期 in view at 1440 px, and shows cards on a phone', async () => {
    /** The header cell is on screen at 1440 px and not covered: what is at its centre is itself. */
    const inView = async (table: string, title: string) => {
      const look = () => page.evaluate(
        ([table, title]) => {
          const th = [...document.querySelectorAll(`[data-testid="${table}"] th`)].find((h) => h.textContent?.trim() === title);
          if (!th) return 'missing';
          const r = th.getBoundingClientRect();
          if (r.left < 0 || r.right > window.innerWidth) return `outside: ${r.left}–${r.right}`;
          const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
          return hit && th.contains(hit) ? 'visible' : `covered by ${hit?.outerHTML.slice(0, 160) ?? 'nothing'}`;
        },
        [table, title],
      );
      // Once the list has loaded (its spinner's mask covers it meanwhile).
      await expect.poll(look, { message: `${title} in ${table}`, timeout: 10_000 }).toBe('visible');
    };
    await page.goto('/payments');
    const payments = page.locator('[data-testid="payments-table"]');
    await payments.locator('tbody .arco-table-tr').first().waitFor();
    await inView('payments-table', '未核销');
    await screenshot(page, 'payments-1440');
    await page.goto('/receivables/aging');
    const aging = page.locator('[data-testid="aging-table"]');
    await aging.locator('tbody .arco-table-tr').first().waitFor();
    await inView('aging-table', '未结金额');
    await inView('aging-table', '逾期金额');
    await screenshot(page, 'aging-1440');

    const phone = await openPage(browser, baseURL, PHONE);
    try {
      await loginAndSettle(phone.page, 'admin', ADMIN_NEW_PASSWORD);
      const width = () => phone.page.evaluate(() => document.documentElement.scrollWidth);
      await phone.page.goto('/payments');
      await phone.page.locator('[data-testid="payments-cards"] [data-payment-no]').first().waitFor();
      expect(await phone.page.locator('[data-testid="payments-table"]').count()).toBe(0);
      expect(await width()).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'payments-mobile');
      await phone.page.goto('/receivables/aging');
      await phone.page.locator(`[data-testid="aging-cards"] [data-customer="${customerCode}"]`).waitFor();
      expect(await width()).toBeLessThanOrEqual(PHONE.width);
      await screenshot(phone.page, 'aging-mobile');
    } finally {
      await phone.context.close();
    }
  });

  it('had no uncaught errors in the page', () => {
    expect(pageErrors).toEqual([]);
  });
});
