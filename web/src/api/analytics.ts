import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type {
  AnalyticsCustomer,
  AnalyticsCustomerQuery,
  AnalyticsUsageTrend,
  AnalyticsUsageTrendQuery,
  ChurnQuery,
  ChurnRisk,
  CreditScoreQuery,
  CreditScores,
  CustomerCreditScore,
  Dashboard,
  DashboardQuery,
  SegmentQuery,
  Segments,
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
