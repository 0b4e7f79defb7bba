/** A user as `GET /users` answers it: a salesperson with the role's default scope, in no team. */
import type { User } from '@/api/types';
import { defaultScope } from '@/views/users/form';

export const userFixture = (over: Partial<User> = {}): User => {
  const role = over.role ?? 'sales';
  return {
    id: 2,
    username: 'li',
    display_name: '李',
    role,
    status: 'active',
    must_change_password: false,
    last_login_at: null,
    created_at: '2026-11-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
    email: null,
    phone: null,
    team_id: null,
    data_scope: defaultScope(role),
    ...over,
  };
};
