import type { AxiosRequestConfig } from 'axios';
import { request } from './http';
import type { Team, TeamInput } from './types';

/** 销售团队 by name, with their member counts (`users.manage`). */
export function listTeams(config?: AxiosRequestConfig) {
  return request.get<Team[]>('/teams', config);
}

/** 400 INVALID_NAME on `name`, 409 TEAM_NAME_TAKEN. */
export function createTeam(body: TeamInput, config?: AxiosRequestConfig) {
  return request.post<Team>('/teams', body, config);
}

export function renameTeam(id: number, body: TeamInput, config?: AxiosRequestConfig) {
  return request.patch<Team>(`/teams/${id}`, body, config);
}

/** The members stay, without a team (a `team` scope then covers only their own customers). */
export function deleteTeam(id: number, config?: AxiosRequestConfig) {
  return request.delete<void>(`/teams/${id}`, config);
}
