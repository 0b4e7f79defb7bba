import common from './common';
import login from '@/views/login/locale/en-US';
import workplace from '@/views/workplace/locale/en-US';
import users from '@/views/users/locale/en-US';
import audit from '@/views/audit/locale/en-US';
import account from '@/views/account/locale/en-US';
import customers from '@/views/customers/locale/en-US';
import customerImport from '@/views/customers/import/locale/en-US';
import pricing from '@/views/pricing/locale/en-US';
import usage from '@/views/usage/locale/en-US';
import bills from '@/views/bills/locale/en-US';
import payments from '@/views/payments/locale/en-US';
import settings from '@/views/settings/locale/en-US';
import jobs from '@/views/jobs/locale/en-US';
import notifications from '@/views/notifications/locale/en-US';
import analytics from '@/views/analytics/locale/en-US';
import reports from '@/views/reports/locale/en-US';

export default { ...common, login, workplace, users, audit, account, customers, customerImport, pricing, usage, bills, payments, settings, jobs, notifications, analytics, reports };
