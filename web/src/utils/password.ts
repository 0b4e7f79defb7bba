/**
 * The password rule, mirrored from the server (`opcms_domain::account`) so the user
 * learns it before submitting: 8–128 characters, ASCII letters and digits both
 * present, not the username (any case), not the current password. The server stays
 * the authority; this only saves a round trip.
 */
export type PasswordProblem = 'too_weak' | 'too_long' | 'same_as_username' | 'same_as_current';

export const MIN_PASSWORD_LENGTH = 8;
export const MAX_PASSWORD_LENGTH = 128;

export interface PasswordContext {
  username?: string;
  currentPassword?: string;
}

export function checkPassword(password: string, context: PasswordContext = {}): PasswordProblem | null {
  const length = Array.from(password).length;
  const hasLetter = /[A-Za-z]/.test(password);
  const hasDigit = /[0-9]/.test(password);
  if (length < MIN_PASSWORD_LENGTH || !hasLetter || !hasDigit) return 'too_weak';
  if (length > MAX_PASSWORD_LENGTH) return 'too_long';
  if (context.username && password.toLowerCase() === context.username.toLowerCase()) {
    return 'same_as_username';
  }
  if (context.currentPassword && password === context.currentPassword) return 'same_as_current';
  return null;
}

/** i18n key of the message for each problem. */
export const passwordProblemMessageKey: Record<PasswordProblem, string> = {
  too_weak: 'password.rule.tooWeak',
  too_long: 'password.rule.tooLong',
  same_as_username: 'password.rule.sameAsUsername',
  same_as_current: 'password.rule.sameAsCurrent',
};
