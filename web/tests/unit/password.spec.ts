import { describe, expect, it } from 'vitest';
import { checkPassword } from '@/utils/password';
import { messages } from '@/locale';

describe('password rule', () => {
  it('accepts 8+ characters with letters and digits', () => {
    expect(checkPassword('abcdefg1')).toBeNull();
    expect(checkPassword('Passw0rd!x')).toBeNull();
  });

  it('rejects passwords shorter than 8 characters', () => {
    expect(checkPassword('abc1234')).toBe('too_weak');
    expect(checkPassword('')).toBe('too_weak');
  });

  it('rejects passwords without a digit or without a letter', () => {
    expect(checkPassword('abcdefgh')).toBe('too_weak');
    expect(checkPassword('12345678')).toBe('too_weak');
    expect(checkPassword('!!!!@@@@')).toBe('too_weak');
  });

  it('needs ASCII letters and digits, like the server', () => {
    expect(checkPassword('密码密码密码12')).toBe('too_weak');
    expect(checkPassword('密码密码密码1a')).toBeNull();
  });

  it('rejects passwords longer than 128 characters', () => {
    expect(checkPassword(`a1${'x'.repeat(126)}`)).toBeNull();
    expect(checkPassword(`a1${'x'.repeat(127)}`)).toBe('too_long');
  });

  it('counts characters, not UTF-16 units', () => {
    // 7 characters, one of them outside the BMP (two UTF-16 units).
    expect(checkPassword('ab1234😀')).toBe('too_weak');
  });

  it('rejects the username as password', () => {
    expect(checkPassword('alice2024', { username: 'alice2024' })).toBe('same_as_username');
    expect(checkPassword('Alice2024', { username: 'alice2024' })).toBe('same_as_username');
    expect(checkPassword('alice20245', { username: 'alice2024' })).toBeNull();
  });

  it('rejects the current password as the new one', () => {
    expect(checkPassword('oldpass123', { currentPassword: 'oldpass123' })).toBe('same_as_current');
    expect(checkPassword('newpass123', { currentPassword: 'oldpass123' })).toBeNull();
  });

  it('reports the weak-password message the server uses', () => {
    expect(messages['zh-CN'].password.rule.tooWeak).toBe('密码至少 8 位，且须同时包含字母和数字');
  });
});
