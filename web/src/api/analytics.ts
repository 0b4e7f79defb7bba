import type { AxiosRequestConfig } from 'axios';
import { downloadFile } from './download';
import { request } from './http';
import type {
  AnalyticsCustomer,
  AnalyticsCustomerQuery,
  AnalyticsUsageTrend,
  AnalyticsUsageTrendQuery,
  ChurnExportQuery,
  ChurnQuery,
  ChurnRisk,
  CreditScoreExportQuery,
  CreditScoreQuery,
  CreditScores,
  CustomerCreditScore,
  Dashboard,
  DashboardExportQuery,
  DashboardQuery,
  SegmentExportQuery,
  SegmentQuery,
  Segments,
  UsageTrendExportQuery,
} from './types';

/** 经营看板 of a period (the server's current month without one). */
export function getDashboard(query: DashboardQuery = {}, config?: AxiosRequestConfig) {
  return request.get<Dashboard>('/analytics/dashboard', { ...config, params: query });
}

/** The customers new (signed) or lost (closed) in a period. */
export function listAnalyticsCustomers(query: AnalyticsCustomerQuery, config?: AxiosRequestConfig) {
  return request.get<AnalyticsCustomer[]>('/analytics/customers', { ...config, params: query });
}

/** 客户分层: value tiers by 12-month revenue, with their trend; `counts` over the whole period. */
export function listSegments(query: SegmentQuery, config?: AxiosRequestConfig) {
  return request.get<Segments>('/analytics/segments', { ...config, params: query });
}

/** 流失预警 on `as_of` (today without one): flagged customers, high risk first. */
export function listChurnRisk(query: ChurnQuery, config?: AxiosRequestConfig) {
  return request.get<ChurnRisk>('/analytics/churn-risk', { ...config, params: query });
}

/** 信用评分 of every customer in scope on `as_of`. */
export function listCreditScores(query: CreditScoreQuery, config?: AxiosRequestConfig) {
  return request.get<CreditScores>('/analytics/credit-scores', { ...config, params: query });
}

/** One customer's credit score (404 outside the caller's scope). */
export function getCustomerCreditScore(id: number, asOf?: string, config?: AxiosRequestConfig) {
  return request.get<CustomerCreditScore>(`/customers/${id}/credit-score`, { ...config, params: asOf ? { as_of: asOf } : {} });
}

/** 用量趋势: `months` monthly quantities ending at `period`, of one customer and series or of all. */
export function getAnalyticsUsageTrend(query: AnalyticsUsageTrendQuery, config?: AxiosRequestConfig) {
  return request.get<AnalyticsUsageTrend>('/analytics/usage-trend', { ...config, params: query });
}

// ---- exports (报表导出): the view's query and `format`, the file named by the server --------

/** The file kinds every analytics view is exported as (DESIGN.md §9), in menu order. */
export const ANALYTICS_EXPORT_FORMATS = ['xlsx', 'csv', 'pdf'] as const;

const exportOf = <Q extends { format?: string }>(path: string, name: string) => (query: Q) =>
  downloadFile(`/analytics/${path}/export`, { params: query, fallbackName: `${name}.${query.format ?? 'xlsx'}` });

/** 经营看板 of a period as a file. */
export const exportDashboard = exportOf<DashboardExportQuery>('dashboard', '经营看板');
/** 客户分层 with the list's filters, every page. */
export const exportSegments = exportOf<SegmentExportQuery>('segments', '客户分层');
/** 流失预警 with the list's filters, every page. */
export const exportChurnRisk = exportOf<ChurnExportQuery>('churn-risk', '流失预警');
/** 信用评分 with the list's filters, every page. */
export const exportCreditScores = exportOf<CreditScoreExportQuery>('credit-scores', '信用评分');
/** 用量趋势 of the customer, series, span and month chosen. */
export const exportUsageTrend = exportOf<UsageTrendExportQuery>('usage-trend', '用量趋势');
