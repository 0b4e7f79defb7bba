import type { Component } from 'vue';
import type { RouteRecordRaw } from 'vue-router';
import {
  IconBarChart,
  IconBook,
  IconCalendarClock,
  IconDashboard,
  IconExclamationCircle,
  IconHistory,
  IconFile,
  IconIdcard,
  IconList,
  IconSettings,
  IconStamp,
  IconStorage,
  IconSwap,
  IconTag,
  IconTags,
  IconThunderbolt,
  IconUpload,
  IconUserGroup,
} from '@arco-design/web-vue/es/icon';

const DefaultLayout = () => import('@/layout/DefaultLayout.vue');

/** Pages inside the main layout; the side menu is built from these. */
export const appRoutes: RouteRecordRaw[] = [
  {
    path: 'workplace',
    name: 'Workplace',
    component: () => import('@/views/workplace/index.vue'),
    meta: { title: 'menu.workplace', icon: IconDashboard, order: 1 },
  },
  {
    path: 'customers',
    name: 'Customers',
    component: () => import('@/views/customers/index.vue'),
    meta: { title: 'menu.customerList', icon: IconList, permission: 'customers.view', group: 'customers', order: 1 },
  },
  {
    path: 'customers/import',
    name: 'CustomerImport',
    component: () => import('@/views/customers/import/index.vue'),
    meta: { title: 'menu.customerImport', icon: IconUpload, permission: 'customers.import', group: 'customers', order: 2 },
  },
  {
    path: 'customers/new',
    name: 'CustomerCreate',
    component: () => import('@/views/customers/form/index.vue'),
    meta: { title: 'menu.customerCreate', permission: 'customers.edit', group: 'customers', hideInMenu: true, activeMenu: 'Customers' },
  },
  {
    path: 'customers/:id(\\d+)',
    name: 'CustomerDetail',
    component: () => import('@/views/customers/detail/index.vue'),
    meta: { title: 'menu.customerDetail', permission: 'customers.view', group: 'customers', hideInMenu: true, activeMenu: 'Customers' },
  },
  {
    path: 'customers/:id(\\d+)/edit',
    name: 'CustomerEdit',
    component: () => import('@/views/customers/form/index.vue'),
    meta: {
      title: 'menu.customerEdit',
      permission: ['customers.edit', 'customers.edit_contact'],
      group: 'customers',
      hideInMenu: true,
      activeMenu: 'Customers',
    },
  },
  {
    path: 'pricing/plans',
    name: 'PricePlans',
    component: () => import('@/views/pricing/index.vue'),
    meta: { title: 'menu.pricePlans', icon: IconTag, permission: 'pricing.view', group: 'pricing', order: 1 },
  },
  {
    path: 'pricing/plans/new',
    name: 'PricePlanCreate',
    component: () => import('@/views/pricing/editor/index.vue'),
    meta: { title: 'menu.pricePlanCreate', permission: 'pricing.manage', group: 'pricing', hideInMenu: true, activeMenu: 'PricePlans' },
  },
  {
    path: 'pricing/plans/:id(\\d+)',
    name: 'PricePlanDetail',
    component: () => import('@/views/pricing/detail/index.vue'),
    meta: { title: 'menu.pricePlanDetail', permission: 'pricing.view', group: 'pricing', hideInMenu: true, activeMenu: 'PricePlans' },
  },
  {
    path: 'pricing/plans/:id(\\d+)/versions/new',
    name: 'PricePlanVersion',
    component: () => import('@/views/pricing/editor/index.vue'),
    meta: { title: 'menu.pricePlanVersion', permission: 'pricing.manage', group: 'pricing', hideInMenu: true, activeMenu: 'PricePlans' },
  },
  {
    path: 'usage/records',
    name: 'UsageRecords',
    component: () => import('@/views/usage/index.vue'),
    meta: { title: 'menu.usageRecords', icon: IconBarChart, permission: 'usage.view', group: 'usage', order: 1 },
  },
  {
    path: 'usage/quarantine',
    name: 'UsageQuarantine',
    component: () => import('@/views/usage/quarantine/index.vue'),
    meta: { title: 'menu.usageQuarantine', icon: IconExclamationCircle, permission: 'usage.view', group: 'usage', order: 2 },
  },
  {
    path: 'usage/collections',
    name: 'UsageCollections',
    component: () => import('@/views/usage/collections/index.vue'),
    meta: { title: 'menu.usageCollections', icon: IconHistory, permission: 'usage.view', group: 'usage', order: 3 },
  },
  {
    path: 'bills',
    name: 'Bills',
    component: () => import('@/views/bills/index.vue'),
    meta: { title: 'menu.bills', icon: IconBook, permission: 'billing.view', group: 'billing', order: 1 },
  },
  {
    // Runs are listed to billing.manage only (GET /bills/runs), so the page is theirs.
    path: 'bills/generate',
    name: 'BillGenerate',
    component: () => import('@/views/bills/generate/index.vue'),
    meta: { title: 'menu.billGenerate', icon: IconThunderbolt, permission: 'billing.manage', group: 'billing', order: 2 },
  },
  {
    path: 'bills/new',
    name: 'BillCreate',
    component: () => import('@/views/bills/form/index.vue'),
    meta: { title: 'menu.billCreate', permission: 'billing.manage', group: 'billing', hideInMenu: true, activeMenu: 'Bills' },
  },
  {
    path: 'bills/:id(\\d+)',
    name: 'BillDetail',
    component: () => import('@/views/bills/detail/index.vue'),
    meta: { title: 'menu.billDetail', permission: 'billing.view', group: 'billing', hideInMenu: true, activeMenu: 'Bills' },
  },
  {
    path: 'payments',
    name: 'Payments',
    component: () => import('@/views/payments/index.vue'),
    meta: { title: 'menu.paymentList', icon: IconList, permission: 'payments.view', group: 'payments', order: 1 },
  },
  {
    path: 'payments/import',
    name: 'PaymentImport',
    component: () => import('@/views/payments/import/index.vue'),
    meta: { title: 'menu.paymentImport', icon: IconUpload, permission: 'payments.manage', group: 'payments', order: 2 },
  },
  {
    path: 'receivables/aging',
    name: 'ReceivablesAging',
    component: () => import('@/views/payments/aging/index.vue'),
    meta: { title: 'menu.receivablesAging', icon: IconCalendarClock, permission: 'payments.view', group: 'payments', order: 3 },
  },
  {
    path: 'payments/new',
    name: 'PaymentCreate',
    component: () => import('@/views/payments/form/index.vue'),
    meta: { title: 'menu.paymentCreate', permission: 'payments.manage', group: 'payments', hideInMenu: true, activeMenu: 'Payments' },
  },
  {
    path: 'payments/:id(\\d+)',
    name: 'PaymentDetail',
    component: () => import('@/views/payments/detail/index.vue'),
    meta: { title: 'menu.paymentDetail', permission: 'payments.view', group: 'payments', hideInMenu: true, activeMenu: 'Payments' },
  },
  {
    path: 'payments/:id(\\d+)/edit',
    name: 'PaymentEdit',
    component: () => import('@/views/payments/form/index.vue'),
    meta: { title: 'menu.paymentEdit', permission: 'payments.manage', group: 'payments', hideInMenu: true, activeMenu: 'Payments' },
  },
  {
    path: 'payments/:id(\\d+)/allocate',
    name: 'PaymentAllocate',
    component: () => import('@/views/payments/allocate/index.vue'),
    meta: { title: 'menu.paymentAllocate', permission: 'payments.manage', group: 'payments', hideInMenu: true, activeMenu: 'Payments' },
  },
  {
    path: 'users',
    name: 'Users',
    component: () => import('@/views/users/index.vue'),
    meta: { title: 'menu.users', icon: IconUserGroup, permission: 'users.manage', group: 'system', order: 1 },
  },
  {
    path: 'audit',
    name: 'Audit',
    component: () => import('@/views/audit/index.vue'),
    meta: { title: 'menu.audit', icon: IconFile, permission: 'audit.view', group: 'system', order: 2 },
  },
  {
    path: 'account',
    name: 'Account',
    component: () => import('@/views/account/index.vue'),
    meta: { title: 'menu.account', hideInMenu: true },
  },
  {
    path: '403',
    name: 'Forbidden',
    component: () => import('@/views/exception/403.vue'),
    meta: { title: 'menu.forbidden', hideInMenu: true },
  },
  {
    path: ':pathMatch(.*)*',
    name: 'NotFound',
    component: () => import('@/views/exception/404.vue'),
    meta: { title: 'menu.notFound', hideInMenu: true },
  },
];

export const menuGroups: Record<string, { title: string; icon?: Component; order: number }> = {
  customers: { title: 'menu.customers', icon: IconIdcard, order: 10 },
  pricing: { title: 'menu.pricing', icon: IconTags, order: 20 },
  usage: { title: 'menu.usage', icon: IconStorage, order: 30 },
  billing: { title: 'menu.billing', icon: IconStamp, order: 40 },
  payments: { title: 'menu.payments', icon: IconSwap, order: 50 },
  system: { title: 'menu.system', icon: IconSettings, order: 90 },
};

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
