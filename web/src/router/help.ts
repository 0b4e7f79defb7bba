import type { Role } from '@/api/types';

/**
 * Where each page's 帮助 link goes: `chapter#heading-id` in docs/manual/ (ids are GitHub's
 * slugs of the headings). A page used by several roles may point each role at its own
 * chapter; `default` serves the others. tests/unit/help.spec.ts checks every target
 * exists, so renaming a heading without updating this map fails the build's tests.
 */
export type HelpTopic = string | ({ default: string } & Partial<Record<Role, string>>);

export const PAGE_HELP: Record<string, HelpTopic> = {
  Workplace: { default: 'operations#工作台与月结工作台', sales: 'sales#我的工作台', management: 'management#工作台与经营看板' },
  AnalyticsDashboard: { default: 'management#工作台与经营看板', sales: 'sales#我的经营数据' },
  AnalyticsSegments: 'management#客户分层',
  AnalyticsChurn: { default: 'management#流失预警与信用评分', sales: 'sales#流失预警' },
  AnalyticsCredit: 'management#流失预警与信用评分',
  AnalyticsUsageTrend: 'management#用量趋势',
  AnalyticsReports: 'management#自定义报表与导出',
  Customers: { default: 'operations#客户档案', sales: 'sales#我的客户' },
  CustomerImport: 'operations#导入客户',
  CustomerCreate: 'operations#客户档案',
  CustomerDetail: { default: 'operations#客户档案', sales: 'sales#客户详情' },
  CustomerEdit: { default: 'operations#客户档案', sales: 'sales#修改联系方式' },
  PricePlans: { default: 'operations#核对定价', management: 'management#定价方案与调价' },
  PricePlanCreate: 'management#定价方案与调价',
  PricePlanDetail: { default: 'operations#核对定价', management: 'management#定价方案与调价' },
  PricePlanVersion: 'management#定价方案与调价',
  UsageRecords: 'operations#采集用量',
  UsageQuarantine: 'operations#处理异常数据',
  UsageCollections: 'operations#采集用量',
  Bills: { default: 'operations#复核与开具账单', sales: 'sales#账单与收款' },
  BillGenerate: 'operations#生成账单',
  BillCreate: 'operations#手工账单红冲与作废',
  BillDetail: { default: 'operations#复核与开具账单', sales: 'sales#账单与收款' },
  Payments: { default: 'operations#登记收款与核销', sales: 'sales#账单与收款' },
  PaymentImport: 'operations#登记收款与核销',
  ReceivablesAging: { default: 'operations#跟进逾期', sales: 'sales#我的应收与账龄' },
  PaymentCreate: 'operations#登记收款与核销',
  PaymentDetail: { default: 'operations#登记收款与核销', sales: 'sales#账单与收款' },
  PaymentEdit: 'operations#登记收款与核销',
  PaymentAllocate: 'operations#登记收款与核销',
  Users: 'management#用户与团队',
  Audit: 'management#审计日志',
  Settings: 'management#系统设置',
  Jobs: { default: 'operations#定时任务', management: 'management#定时任务' },
  Backups: 'management#数据备份',
  Integrations: 'management#集成',
  Notifications: 'operations#通知与提醒',
  NotificationTemplates: 'operations#通知与提醒',
  Account: 'index#账户与密码',
};

/** The chapter#anchor for a role, or undefined when the page has no help. */
export function helpFor(topic: HelpTopic | undefined, role: Role | undefined): string | undefined {
  if (!topic) return undefined;
  if (typeof topic === 'string') return topic;
  return (role && topic[role]) || topic.default;
}
