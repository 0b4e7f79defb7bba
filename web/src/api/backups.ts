import type { AxiosRequestConfig } from 'axios';
import { downloadFile } from './download';
import { request } from './http';
import type { Backup, BackupList, StartedBackup } from './types';

/** 数据备份 (backups.manage, management): `GET/POST /backups`, verify and download one. */

/** A name in a path (the server's names need no escaping, but a name is data). */
const at = (name: string) => `/backups/${encodeURIComponent(name)}`;

/** `GET /backups`. */
export function listBackups(config?: AxiosRequestConfig) {
  return request.get<BackupList>('/backups', config);
}

/** `POST /backups` → 202 `{name}`: written in the background; 409 BACKUP_RUNNING while one is. */
export function startBackup(config?: AxiosRequestConfig) {
  return request.post<StartedBackup>('/backups', undefined, config);
}

/** `POST /backups/{name}/verify`: re-reads the archive and checks every checksum. */
export function verifyBackup(name: string, config?: AxiosRequestConfig) {
  return request.post<Backup>(`${at(name)}/verify`, undefined, config);
}

/** `GET /backups/{name}/download`: saves the archive under its own name. */
export function downloadBackup(name: string) {
  return downloadFile(`${at(name)}/download`, { fallbackName: name });
}
