import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type { SettingsUpdate, SettingsView } from './types';

/** `GET /settings` (settings.manage): every business setting with its value. */
export function getSettings(config?: AxiosRequestConfig) {
  return request.get<SettingsView>('/settings', config);
}

/**
 * `PUT /settings`: only the keys given change, all or nothing; a 400 names the key
 * (`payment_terms_days`, `company.name`, `job_schedules.usage.collect`). Answers every
 * setting as it is now.
 */
export function updateSettings(body: SettingsUpdate, config?: AxiosRequestConfig) {
  return request.put<SettingsView>('/settings', body, config);
}
