import common from './common';
import login from '@/views/login/locale/zh-CN';
import workplace from '@/views/workplace/locale/zh-CN';
import users from '@/views/users/locale/zh-CN';
import audit from '@/views/audit/locale/zh-CN';
import account from '@/views/account/locale/zh-CN';
import customers from '@/views/customers/locale/zh-CN';
import customerImport from '@/views/customers/import/locale/zh-CN';
import pricing from '@/views/pricing/locale/zh-CN';
import usage from '@/views/usage/locale/zh-CN';
import bills from '@/views/bills/locale/zh-CN';
import payments from '@/views/payments/locale/zh-CN';
import settings from '@/views/settings/locale/zh-CN';
import jobs from '@/views/jobs/locale/zh-CN';
import notifications from '@/views/notifications/locale/zh-CN';
import analytics from '@/views/analytics/locale/zh-CN';
import reports from '@/views/reports/locale/zh-CN';

export default { ...common, login, workplace, users, audit, account, customers, customerImport, pricing, usage, bills, payments, settings, jobs, notifications, analytics, reports };
