import type zh from './zh-CN';

export default {
  greeting: {
    morning: 'Good morning, {name}',
    afternoon: 'Good afternoon, {name}',
    evening: 'Good evening, {name}',
  },
  username: 'Username',
  role: 'Role',
  lastLogin: 'Last sign-in',
  neverLoggedIn: 'No record',
  createdAt: 'Account created',
  capabilities: {
    title: 'My permissions',
    description: 'The {role} role grants these {count} capabilities',
    empty: 'Your role has no capabilities yet. Ask an administrator.',
  },
  status: {
    title: 'Server status',
    ready: 'Running',
    notReady: 'Not ready',
    unreachable: 'Server unreachable',
    service: 'Application',
    database: 'Database',
    ok: 'OK',
    checkedAt: 'Checked at {time}',
    recheck: 'Check again',
  },
  shortcuts: {
    title: 'Shortcuts',
    users: 'Create accounts, assign roles, disable leavers',
    audit: 'See who changed what and when',
    account: 'Your profile and password',
  },
} satisfies typeof zh;
