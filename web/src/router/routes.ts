import type { Component } from 'vue';
import type { RouteRecordRaw, RouteRecordSingleView } from 'vue-router';
import {
  IconBarChart,
  IconBook,
  IconArrowRise,
  IconCalendarClock,
  IconDashboard,
  IconDesktop,
  IconExclamationCircle,
  IconHistory,
  IconFile,
  IconFilter,
  IconFire,
  IconIdcard,
  IconLayers,
  IconLink,
  IconList,
  IconMessage,
  IconNotification,
  IconSafe,
  IconSave,
  IconSchedule,
  IconSettings,
  IconStamp,
  IconStorage,
  IconSwap,
  IconTag,
  IconTags,
  IconThunderbolt,
  IconTool,
  IconUpload,
  IconUserGroup,
} from '@arco-design/web-vue/es/icon';
import { PAGE_HELP } from './help';

const DefaultLayout = () => import('@/layout/DefaultLayout.vue');

type View = RouteRecordSingleView['component'];

/**
 * One page of a menu group, as a row: its path and name, its title (under `menu.`), the
 * view, the permission that opens it (the group's when none is given), and its menu icon.
 * A page without an icon is not in the menu: it is reached from another page, and the
 * group's first page stays highlighted meanwhile.
 */
type Row = [path: string, name: string, title: string, view: View, permission?: string | string[] | null, icon?: Component];

export const menuGroups: Record<string, { title: string; icon?: Component; order: number }> = {};

/** A menu group's pages in menu order; registers the group itself for the side menu. */
function group(key: string, order: number, icon: Component, permission: string, rows: Row[]): RouteRecordRaw[] {
  menuGroups[key] = { title: `menu.${key}`, icon, order };
  const home = rows[0]?.[1];
  let position = 0;
  return rows.map(([path, name, title, component, own, menuIcon]) => ({
    path,
    name,
    component,
    meta: {
      title: `menu.${title}`,
      permission: own ?? permission,
      group: key,
      help: PAGE_HELP[name],
      ...(menuIcon ? { icon: menuIcon, order: (position += 1) } : { hideInMenu: true, activeMenu: home }),
    },
  }));
}

/** A page outside the groups; `hideInMenu` unless it has an icon. */
function single(path: string, name: string, title: string, component: View, icon?: Component): RouteRecordRaw {
  return { path, name, component, meta: { title: `menu.${title}`, help: PAGE_HELP[name], ...(icon ? { icon, order: 1 } : { hideInMenu: true }) } };
}

const customerForm = () => import('@/views/customers/form/index.vue');
const planEditor = () => import('@/views/pricing/editor/index.vue');
const paymentForm = () => import('@/views/payments/form/index.vue');
const ID = ':id(\\d+)';

/** Pages inside the main layout; the side menu is built from these. */
export const appRoutes: RouteRecordRaw[] = [
  single('workplace', 'Workplace', 'workplace', () => import('@/views/workplace/index.vue'), IconDashboard),
  // Management's 工作台 shows the dashboard too (views/workplace); sales' shows their customers at risk.
  ...group('analytics', 5, IconBarChart, 'analytics.view', [
    ['analytics/dashboard', 'AnalyticsDashboard', 'analyticsDashboard', () => import('@/views/analytics/dashboard/index.vue'), null, IconDesktop],
    ['analytics/segments', 'AnalyticsSegments', 'analyticsSegments', () => import('@/views/analytics/segments/index.vue'), null, IconLayers],
    ['analytics/churn', 'AnalyticsChurn', 'analyticsChurn', () => import('@/views/analytics/churn/index.vue'), null, IconFire],
    ['analytics/credit', 'AnalyticsCredit', 'analyticsCredit', () => import('@/views/analytics/credit/index.vue'), null, IconSafe],
    ['analytics/usage-trend', 'AnalyticsUsageTrend', 'analyticsUsageTrend', () => import('@/views/analytics/usage-trend/index.vue'), null, IconArrowRise],
    ['analytics/reports', 'AnalyticsReports', 'analyticsReports', () => import('@/views/reports/index.vue'), null, IconFilter],
  ]),
  ...group('customers', 10, IconIdcard, 'customers.view', [
    ['customers', 'Customers', 'customerList', () => import('@/views/customers/index.vue'), null, IconList],
    ['customers/import', 'CustomerImport', 'customerImport', () => import('@/views/customers/import/index.vue'), 'customers.import', IconUpload],
    ['customers/new', 'CustomerCreate', 'customerCreate', customerForm, 'customers.edit'],
    [`customers/${ID}`, 'CustomerDetail', 'customerDetail', () => import('@/views/customers/detail/index.vue')],
    [`customers/${ID}/edit`, 'CustomerEdit', 'customerEdit', customerForm, ['customers.edit', 'customers.edit_contact']],
  ]),
  ...group('pricing', 20, IconTags, 'pricing.view', [
    ['pricing/plans', 'PricePlans', 'pricePlans', () => import('@/views/pricing/index.vue'), null, IconTag],
    ['pricing/plans/new', 'PricePlanCreate', 'pricePlanCreate', planEditor, 'pricing.manage'],
    [`pricing/plans/${ID}`, 'PricePlanDetail', 'pricePlanDetail', () => import('@/views/pricing/detail/index.vue')],
    [`pricing/plans/${ID}/versions/new`, 'PricePlanVersion', 'pricePlanVersion', planEditor, 'pricing.manage'],
  ]),
  ...group('usage', 30, IconStorage, 'usage.view', [
    ['usage/records', 'UsageRecords', 'usageRecords', () => import('@/views/usage/index.vue'), null, IconBarChart],
    ['usage/quarantine', 'UsageQuarantine', 'usageQuarantine', () => import('@/views/usage/quarantine/index.vue'), null, IconExclamationCircle],
    ['usage/collections', 'UsageCollections', 'usageCollections', () => import('@/views/usage/collections/index.vue'), null, IconHistory],
  ]),
  ...group('billing', 40, IconStamp, 'billing.view', [
    ['bills', 'Bills', 'bills', () => import('@/views/bills/index.vue'), null, IconBook],
    // Runs are listed to billing.manage only (GET /bills/runs), so the page is theirs.
    ['bills/generate', 'BillGenerate', 'billGenerate', () => import('@/views/bills/generate/index.vue'), 'billing.manage', IconThunderbolt],
    ['bills/new', 'BillCreate', 'billCreate', () => import('@/views/bills/form/index.vue'), 'billing.manage'],
    [`bills/${ID}`, 'BillDetail', 'billDetail', () => import('@/views/bills/detail/index.vue')],
  ]),
  ...group('payments', 50, IconSwap, 'payments.view', [
    ['payments', 'Payments', 'paymentList', () => import('@/views/payments/index.vue'), null, IconList],
    ['payments/import', 'PaymentImport', 'paymentImport', () => import('@/views/payments/import/index.vue'), 'payments.manage', IconUpload],
    ['receivables/aging', 'ReceivablesAging', 'receivablesAging', () => import('@/views/payments/aging/index.vue'), null, IconCalendarClock],
    ['payments/new', 'PaymentCreate', 'paymentCreate', paymentForm, 'payments.manage'],
    [`payments/${ID}`, 'PaymentDetail', 'paymentDetail', () => import('@/views/payments/detail/index.vue')],
    [`payments/${ID}/edit`, 'PaymentEdit', 'paymentEdit', paymentForm, 'payments.manage'],
    [`payments/${ID}/allocate`, 'PaymentAllocate', 'paymentAllocate', () => import('@/views/payments/allocate/index.vue'), 'payments.manage'],
  ]),
  ...group('system', 90, IconSettings, 'users.manage', [
    ['users', 'Users', 'users', () => import('@/views/users/index.vue'), null, IconUserGroup],
    ['audit', 'Audit', 'audit', () => import('@/views/audit/index.vue'), 'audit.view', IconFile],
    ['settings', 'Settings', 'settings', () => import('@/views/settings/index.vue'), 'settings.manage', IconTool],
    // Operations see the jobs too (jobs.view); pausing and running one is settings.manage.
    ['jobs', 'Jobs', 'jobs', () => import('@/views/jobs/index.vue'), 'jobs.view', IconSchedule],
    // Operations read and manage them too (notifications.view / .manage); sales sees a customer's on its page.
    ['notifications', 'Notifications', 'notifications', () => import('@/views/notifications/index.vue'), 'notifications.view', IconNotification],
    ['notification-templates', 'NotificationTemplates', 'notificationTemplates', () => import('@/views/notifications/templates/index.vue'), 'notifications.view', IconMessage],
    // Management only: the archives hold every table (encrypted fields still encrypted).
    ['backups', 'Backups', 'backups', () => import('@/views/backups/index.vue'), 'backups.manage', IconSave],
    // Management only: the ERP connector's state, its sync log and re-sends.
    ['integrations', 'Integrations', 'integrations', () => import('@/views/integrations/index.vue'), 'integrations.manage', IconLink],
  ]),
  // The user manual (docs/manual/), for everyone signed in; opened from the header's 帮助.
  single('help/:chapter?', 'Help', 'help', () => import('@/views/help/index.vue')),
  single('account', 'Account', 'account', () => import('@/views/account/index.vue')),
  single('403', 'Forbidden', 'forbidden', () => import('@/views/exception/403.vue')),
  single(':pathMatch(.*)*', 'NotFound', 'notFound', () => import('@/views/exception/404.vue')),
];

export const routes: RouteRecordRaw[] = [
  {
    path: '/login',
    name: 'Login',
    component: () => import('@/views/login/index.vue'),
    meta: { title: 'menu.login', public: true },
  },
  {
    path: '/change-password',
    name: 'ChangePassword',
    component: () => import('@/views/change-password/index.vue'),
    meta: { title: 'menu.changePassword' },
  },
  {
    path: '/',
    component: DefaultLayout,
    redirect: { name: 'Workplace' },
    children: appRoutes,
  },
];
