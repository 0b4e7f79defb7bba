import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type { JobPatch, JobRunView, JobView, PageQuery, Paginated, RunJob } from './types';

/** A job's name in a path (`usage.collect` needs no escaping, but a name is data). */
const at = (name: string) => `/jobs/${encodeURIComponent(name)}`;

/** `GET /jobs` (jobs.view): every job with its schedule, last and next run, `failing`. */
export function listJobs(config?: AxiosRequestConfig) {
  return request.get<JobView[]>('/jobs', config);
}

/** `GET /jobs/{name}/runs` (jobs.view): a page of runs, newest period first. */
export function listJobRuns(name: string, query: PageQuery, config?: AxiosRequestConfig) {
  return request.get<Paginated<JobRunView>>(`${at(name)}/runs`, { ...config, params: query });
}

/**
 * `POST /jobs/{name}/run` (settings.manage) → 202 with the run, still `running`: poll the
 * runs. 409 ALREADY_SUCCEEDED unless `force`, 409 JOB_RUNNING, 400 INVALID_PERIOD /
 * FUTURE_PERIOD on `period_key`, 404 UNKNOWN_JOB.
 */
export function runJob(name: string, body: RunJob, config?: AxiosRequestConfig) {
  return request.post<JobRunView>(`${at(name)}/run`, body, config);
}

/** `PATCH /jobs/{name}` (settings.manage): pause or resume, or a new schedule (400 INVALID_CRON on `schedule`). */
export function updateJob(name: string, body: JobPatch, config?: AxiosRequestConfig) {
  return request.patch<JobView>(at(name), body, config);
}
