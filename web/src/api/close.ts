import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type { CloseOverview, HomeSummary } from './types';

/** One month's close, step by step; `period` defaults (server side) to last month. */
export function getCloseOverview(period?: string, config?: AxiosRequestConfig) {
  return request.get<CloseOverview>('/close/overview', { ...config, params: period ? { period } : {} });
}

/** The home page's figures, within the user's data scope. */
export function getHomeSummary(config?: AxiosRequestConfig) {
  return request.get<HomeSummary>('/home/summary', config);
}
