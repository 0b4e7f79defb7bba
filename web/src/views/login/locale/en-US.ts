import type zh from './zh-CN';

export default {
  title: 'Sign in',
  subtitle: 'Use the account your company gave you',
  username: 'Username',
  password: 'Password',
  usernameRequired: 'Enter your username',
  passwordRequired: 'Enter your password',
  submit: 'Sign in',
  tagline: 'Customer operations and settlement in one place',
  intro: 'From customer records to monthly bills and payment write-off, without spreadsheets.',
  features: {
    customers: { title: 'Customers', description: 'Customer records, owners and account status in one place' },
    billing: { title: 'Billing', description: 'Exact monthly bills from usage, tiered prices computed for you' },
    payments: { title: 'Payments', description: 'Match bank receipts to bills and see what is still open' },
  },
  internalOnly: 'For company staff only',
} satisfies typeof zh;
