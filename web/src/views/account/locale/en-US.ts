import type zh from './zh-CN';

export default {
  profile: 'Profile',
  security: 'Change password',
  securityDescription: 'After the change, sessions on other devices end and must sign in again.',
  username: 'Username',
  displayName: 'Display name',
  role: 'Role',
  status: 'Status',
  lastLogin: 'Last sign-in',
  createdAt: 'Created',
  capabilities: {
    title: 'My permissions',
    description: 'The {role} role grants these {count} capabilities',
    empty: 'Your role has no capabilities yet. Ask an administrator.',
  },
  forced: {
    title: 'Set a new password',
    description:
      '{name}, for your security a new password is required after the first sign-in or a reset. You can use the system once it is set.',
    submit: 'Change password and continue',
  },
} satisfies typeof zh;
