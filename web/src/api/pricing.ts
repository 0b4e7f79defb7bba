import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type {
  BillQuote,
  CustomerPricing,
  CustomerPricingInput,
  Paginated,
  PlanDiff,
  PlanVersion,
  PlanVersionCreated,
  PlanVersionInput,
  PricePlan,
  PricePlanCreated,
  PricePlanInput,
  PricePlanListQuery,
  PricePlanSummary,
  QuoteRequest,
  RollbackInput,
  RuleQuote,
} from './types';

/** Live plans by name (`pricing.view`). */
export function listPricePlans(query: PricePlanListQuery) {
  return request.get<Paginated<PricePlanSummary>>('/price-plans', { params: query });
}

/** 400 with `details[].field` (`rules.X.tiers[1].up_to`), 409 DUPLICATE_PLAN_NAME at `name`. */
export function createPricePlan(body: PricePlanInput, config?: AxiosRequestConfig) {
  return request.post<PricePlanCreated>('/price-plans', body, config);
}

/** Deleted or unknown: 404 (callers show the 404 page, so pass `silent`). */
export function getPricePlan(id: number, config?: AxiosRequestConfig) {
  return request.get<PricePlan>(`/price-plans/${id}`, config);
}

/** Soft delete; 409 PLAN_IN_USE while customers are on it (the message says how many). */
export function deletePricePlan(id: number) {
  return request.delete<void>(`/price-plans/${id}`);
}

/** Every version, newest first. */
export function listPlanVersions(id: number) {
  return request.get<PlanVersion[]>(`/price-plans/${id}/versions`);
}

export function getPlanVersion(id: number, version: number) {
  return request.get<PlanVersion>(`/price-plans/${id}/versions/${version}`);
}

/** Version n+1; with `base_version` a newer version is a 409 VERSION_CONFLICT. */
export function createPlanVersion(id: number, body: PlanVersionInput, config?: AxiosRequestConfig) {
  return request.post<PlanVersionCreated>(`/price-plans/${id}/versions`, body, config);
}

/** Field changes from `from` to `to` (defaults: the current version and the one before). */
export function diffPlanVersions(id: number, from?: number, to?: number, config?: AxiosRequestConfig) {
  return request.get<PlanDiff>(`/price-plans/${id}/diff`, { ...config, params: { from, to } });
}

/** A new version equal to `version`. */
export function rollbackPlan(id: number, body: RollbackInput, config?: AxiosRequestConfig) {
  return request.post<PlanVersionCreated>(`/price-plans/${id}/rollback`, body, config);
}

/** The customer's plan, the version in force for `period`, overrides and effective rules. */
export function getCustomerPricing(customerId: number, period?: string, config?: AxiosRequestConfig) {
  return request.get<CustomerPricing>(`/customers/${customerId}/pricing`, { ...config, params: { period } });
}

/** Replaces plan and overrides; 400 UNKNOWN_PLAN at `plan_id`, rule errors at `overrides.X…`. */
export function setCustomerPricing(customerId: number, body: CustomerPricingInput, config?: AxiosRequestConfig) {
  return request.put<CustomerPricing>(`/customers/${customerId}/pricing`, body, config);
}

export function removeCustomerPricing(customerId: number) {
  return request.delete<void>(`/customers/${customerId}/pricing`);
}

/** `POST /pricing/quote`: one rule and one quantity. */
export function quoteRule(body: QuoteRequest, config?: AxiosRequestConfig) {
  return request.post<RuleQuote>('/pricing/quote', body, config);
}

/** `POST /pricing/quote`: a plan (unsaved or stored) or a customer, usage per series. */
export function quoteBill(body: QuoteRequest, config?: AxiosRequestConfig) {
  return request.post<BillQuote>('/pricing/quote', body, config);
}
