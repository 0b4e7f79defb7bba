import { describe, expect, it } from 'vitest';
import type { RouteRecordRaw } from 'vue-router';
import { appRoutes, menuGroups } from '@/router/routes';
import { buildMenu, hasPermission } from '@/utils/permission';

const ALL = [
  'customers.view', 'customers.edit', 'customers.import', 'customers.export',
  'pricing.view', 'pricing.manage', 'billing.view', 'billing.manage',
  'payments.view', 'payments.manage', 'analytics.view',
  'users.manage', 'audit.view', 'settings.manage', 'jobs.view',
];
const SALES = ['customers.view', 'customers.edit', 'customers.export', 'billing.view', 'payments.view', 'analytics.view'];

const keys = (items: ReturnType<typeof buildMenu>): string[] =>
  items.flatMap((i) => [i.key, ...(i.children ? keys(i.children) : [])]);

describe('hasPermission', () => {
  it('allows what requires nothing', () => {
    expect(hasPermission([], undefined)).toBe(true);
    expect(hasPermission([], [])).toBe(true);
  });

  it('needs the code, or any one of a list', () => {
    expect(hasPermission(['audit.view'], 'audit.view')).toBe(true);
    expect(hasPermission(['audit.view'], 'users.manage')).toBe(false);
    expect(hasPermission(['audit.view'], ['users.manage', 'audit.view'])).toBe(true);
    expect(hasPermission([], ['users.manage'])).toBe(false);
  });
});

describe('side menu from routes', () => {
  it('shows management the workplace, analytics, customers, pricing, billing, payments, and the system group with users and audit', () => {
    const menu = buildMenu(appRoutes, ALL, menuGroups);
    expect(menu.map((m) => m.key)).toEqual(['Workplace', 'group:analytics', 'group:customers', 'group:pricing', 'group:billing', 'group:payments', 'group:system']);
    expect(menu[1]?.title).toBe('menu.analytics');
    expect(menu[1]?.children?.map((c) => [c.key, c.path])).toEqual([
      ['AnalyticsDashboard', '/analytics/dashboard'],
      ['AnalyticsSegments', '/analytics/segments'],
      ['AnalyticsChurn', '/analytics/churn'],
      ['AnalyticsCredit', '/analytics/credit'],
      ['AnalyticsUsageTrend', '/analytics/usage-trend'],
      ['AnalyticsReports', '/analytics/reports'],
    ]);
    expect(menu[2]?.title).toBe('menu.customers');
    expect(menu[2]?.children?.map((c) => [c.key, c.title, c.path])).toEqual([
      ['Customers', 'menu.customerList', '/customers'],
      ['CustomerImport', 'menu.customerImport', '/customers/import'],
    ]);
    expect(menu[3]?.title).toBe('menu.pricing');
    expect(menu[3]?.children?.map((c) => [c.key, c.path])).toEqual([['PricePlans', '/pricing/plans']]);
    expect(menu[4]?.title).toBe('menu.billing');
    expect(menu[4]?.children?.map((c) => [c.key, c.path])).toEqual([
      ['Bills', '/bills'],
      ['BillGenerate', '/bills/generate'],
    ]);
    expect(menu[5]?.title).toBe('menu.payments');
    expect(menu[5]?.children?.map((c) => [c.key, c.title, c.path])).toEqual([
      ['Payments', 'menu.paymentList', '/payments'],
      ['PaymentImport', 'menu.paymentImport', '/payments/import'],
      ['ReceivablesAging', 'menu.receivablesAging', '/receivables/aging'],
    ]);
    expect(menu[6]?.children?.map((c) => c.key)).toEqual(['Users', 'Audit', 'Settings', 'Jobs']);
    expect(menu[6]?.title).toBe('menu.system');
    expect(menu[6]?.children?.[0]?.path).toBe('/users');
  });

  it('shows operations the price plans (pricing.view) but never the editor pages', () => {
    const keysOf = keys(buildMenu(appRoutes, ['customers.view', 'pricing.view'], menuGroups));
    expect(keysOf).toEqual(['Workplace', 'group:customers', 'Customers', 'group:pricing', 'PricePlans']);
    const all = keys(buildMenu(appRoutes, ALL, menuGroups));
    for (const name of ['PricePlanCreate', 'PricePlanDetail', 'PricePlanVersion']) expect(all).not.toContain(name);
  });

  it('hides users, audit, the customer import, the billing run and the statement import from sales, and drops the then empty group', () => {
    const menu = buildMenu(appRoutes, SALES, menuGroups);
    expect(keys(menu)).toEqual([
      'Workplace',
      'group:analytics', 'AnalyticsDashboard', 'AnalyticsSegments', 'AnalyticsChurn', 'AnalyticsCredit', 'AnalyticsUsageTrend', 'AnalyticsReports',
      'group:customers', 'Customers', 'group:billing', 'Bills', 'group:payments', 'Payments', 'ReceivablesAging',
    ]);
  });

  it('shows the payments group only with payments.view, the statement import only with payments.manage', () => {
    expect(keys(buildMenu(appRoutes, ['billing.view'], menuGroups))).not.toContain('group:payments');
    expect(keys(buildMenu(appRoutes, ['payments.view'], menuGroups))).toEqual(['Workplace', 'group:payments', 'Payments', 'ReceivablesAging']);
    expect(keys(buildMenu(appRoutes, ['payments.view', 'payments.manage'], menuGroups))).toContain('PaymentImport');
  });

  it('never lists the customer, bill and payment form, detail and workbench pages', () => {
    const all = keys(buildMenu(appRoutes, ALL, menuGroups));
    const hidden = ['CustomerCreate', 'CustomerDetail', 'CustomerEdit', 'BillCreate', 'BillDetail', 'PaymentCreate', 'PaymentDetail', 'PaymentEdit', 'PaymentAllocate'];
    for (const name of hidden) expect(all).not.toContain(name);
  });

  it('shows operations (jobs.view) the scheduled jobs but not the settings, and settings only with settings.manage', () => {
    expect(keys(buildMenu(appRoutes, ['jobs.view'], menuGroups))).toEqual(['Workplace', 'group:system', 'Jobs']);
    expect(keys(buildMenu(appRoutes, ['settings.manage'], menuGroups))).toEqual(['Workplace', 'group:system', 'Settings']);
    const settings = appRoutes.find((r) => r.name === 'Settings');
    const jobs = appRoutes.find((r) => r.name === 'Jobs');
    expect([settings?.path, settings?.meta?.permission]).toEqual(['settings', 'settings.manage']);
    expect([jobs?.path, jobs?.meta?.permission]).toEqual(['jobs', 'jobs.view']);
  });

  it('shows the notification log and templates with notifications.view, after the jobs, and never to sales', () => {
    expect(keys(buildMenu(appRoutes, ['jobs.view', 'notifications.view', 'notifications.manage'], menuGroups))).toEqual([
      'Workplace', 'group:system', 'Jobs', 'Notifications', 'NotificationTemplates',
    ]);
    expect(keys(buildMenu(appRoutes, SALES, menuGroups))).not.toContain('Notifications');
    const paths = ['Notifications', 'NotificationTemplates'].map((name) => appRoutes.find((r) => r.name === name)).map((r) => [r?.path, r?.meta?.permission]);
    expect(paths).toEqual([['notifications', 'notifications.view'], ['notification-templates', 'notifications.view']]);
  });

  it('keeps a group with only the entries the user may open', () => {
    const menu = buildMenu(appRoutes, ['audit.view'], menuGroups);
    expect(keys(menu)).toEqual(['Workplace', 'group:system', 'Audit']);
  });

  it('never lists hidden routes (account, 403, 404)', () => {
    const all = keys(buildMenu(appRoutes, ALL, menuGroups));
    expect(all).not.toContain('Account');
    expect(all).not.toContain('Forbidden');
    expect(all).not.toContain('NotFound');
  });

  it('orders entries by meta.order', () => {
    const routes: RouteRecordRaw[] = [
      { path: 'b', name: 'B', component: {}, meta: { title: 'b', order: 2 } },
      { path: 'a', name: 'A', component: {}, meta: { title: 'a', order: 1 } },
      { path: 'c', name: 'C', component: {}, meta: { title: 'c', order: 3, permission: 'x' } },
    ];
    expect(keys(buildMenu(routes, []))).toEqual(['A', 'B']);
    expect(keys(buildMenu(routes, ['x']))).toEqual(['A', 'B', 'C']);
  });
});
