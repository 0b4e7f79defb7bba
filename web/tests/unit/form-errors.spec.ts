import { describe, expect, it } from 'vitest';
import { ApiError } from '@/api/http';
import { useFormErrors } from '@/hooks/useFormErrors';

describe('a dialog’s field errors and save', () => {
  it('shows the client’s problems and says whether there are any', () => {
    const form = useFormErrors(['amount', 'reason'] as const);
    expect(form.check({ amount: '红冲金额必须大于 0', reason: null })).toBe(false);
    expect(form.errors).toEqual({ amount: '红冲金额必须大于 0', reason: '' });
    expect(form.check({})).toBe(true);
    expect(form.errors).toEqual({ amount: '', reason: '' });
  });

  it('resolves with the answer, and null when the request failed', async () => {
    const form = useFormErrors(['reason'] as const);
    await expect(form.save(() => Promise.resolve({ id: 1 }))).resolves.toEqual({ id: 1 });
    expect(form.saving.value).toBe(false);
    await expect(form.save(() => Promise.reject(new ApiError(409, 'INVALID_BILL_STATUS', '账单当前状态为「作废」，不能作废')))).resolves.toBeNull();
    expect(form.lastError.value?.code).toBe('INVALID_BILL_STATUS');
  });

  it('puts 400 details on the fields they name, a known 409 on its field, the rest above the form', async () => {
    const form = useFormErrors(['amount', 'reason'] as const, { CREDIT_EXCEEDS_OUTSTANDING: 'amount' });
    await form.save(() => Promise.reject(new ApiError(400, 'VALIDATION_FAILED', '请求参数有误', [{ field: 'reason', code: 'REQUIRED', message: '请填写红冲原因' }])));
    expect(form.errors).toEqual({ amount: '', reason: '请填写红冲原因' });
    expect(form.failure.value).toBeNull();

    await form.save(() => Promise.reject(new ApiError(409, 'CREDIT_EXCEEDS_OUTSTANDING', '红冲金额 90.00 超过账单未结金额 80.00')));
    expect(form.errors).toEqual({ amount: '红冲金额 90.00 超过账单未结金额 80.00', reason: '' });
    expect(form.failure.value).toBeNull();

    await form.save(() => Promise.reject(new ApiError(409, 'INVALID_BILL_STATUS', '账单当前状态为「已结算」，不能红冲调整')));
    expect(form.failure.value).toBe('账单当前状态为「已结算」，不能红冲调整');
    form.reset();
    expect(form.failure.value).toBeNull();
    expect(form.lastError.value).toBeNull();
  });

  it('lets anything that is not an API error through', async () => {
    const form = useFormErrors(['reason'] as const);
    await expect(form.save(() => Promise.reject(new TypeError('boom')))).rejects.toThrow('boom');
    expect(form.saving.value).toBe(false);
  });
});
