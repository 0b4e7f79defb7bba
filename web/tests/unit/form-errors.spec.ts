import { describe, expect, it, vi } from 'vitest';
import { nextTick, ref } from 'vue';
import { ApiError } from '@/api/http';
import { useFormDialog } from '@/hooks/useFormDialog';
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

describe('a dialog that sends one request', () => {
  function dialog(options: { isStale?: (error: ApiError) => boolean } = {}) {
    const visible = ref(false);
    const model = { reason: 'x' };
    const done = vi.fn();
    const stale = vi.fn();
    const form = useFormDialog(visible, ['reason'] as const, { reset: () => (model.reason = ''), done, stale, ...options });
    return { visible, model, done, stale, form };
  }

  it('clears the model and the errors each time it opens', async () => {
    const { visible, model, form } = dialog();
    form.check({ reason: '请填写作废原因' });
    form.failure.value = '账单已作废';
    visible.value = true;
    await nextTick();
    expect(model.reason).toBe('');
    expect(form.errors.reason).toBe('');
    expect(form.failure.value).toBeNull();
  });

  it('runs `done` with the answer and lets the dialog close, even for an empty answer', async () => {
    const { form, done, stale } = dialog();
    await expect(form.submit(() => Promise.resolve(undefined))).resolves.toBe(true);
    expect(done).toHaveBeenCalledWith(undefined);
    await expect(form.submit(() => Promise.resolve({ id: 3 }))).resolves.toBe(true);
    expect(done).toHaveBeenLastCalledWith({ id: 3 });
    expect(stale).not.toHaveBeenCalled();
  });

  it('stays open on a failure, and tells the page on a 409 (or what `isStale` names)', async () => {
    const { form, done, stale } = dialog();
    await expect(form.submit(() => Promise.reject(new ApiError(400, 'VALIDATION_FAILED', '请求参数有误')))).resolves.toBe(false);
    expect(stale).not.toHaveBeenCalled();
    await expect(form.submit(() => Promise.reject(new ApiError(409, 'INVALID_BILL_STATUS', '账单当前状态为「作废」，不能作废')))).resolves.toBe(false);
    expect(stale).toHaveBeenCalledTimes(1);
    expect(form.failure.value).toBe('账单当前状态为「作废」，不能作废');
    expect(done).not.toHaveBeenCalled();

    const picky = dialog({ isStale: (error) => error.code === 'CREDIT_EXCEEDS_OUTSTANDING' });
    await picky.form.submit(() => Promise.reject(new ApiError(409, 'INVALID_BILL_STATUS', '不能红冲')));
    expect(picky.stale).not.toHaveBeenCalled();
    await picky.form.submit(() => Promise.reject(new ApiError(409, 'CREDIT_EXCEEDS_OUTSTANDING', '红冲金额超过未结金额')));
    expect(picky.stale).toHaveBeenCalledTimes(1);
  });
});
