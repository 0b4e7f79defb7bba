import type { AxiosRequestConfig } from 'axios';
import { downloadFile } from './download';
import { request } from './http';

/*
 * 数据备份 (backups.manage, management): `GET/POST /backups`, verify and download one.
 * The shapes are written by hand from the server's contract until its OpenAPI document
 * has them; then they become aliases in types.ts over schema.d.ts like every other area.
 */

export type BackupStatus = 'verified' | 'corrupt' | 'unknown';
export type BackupTrigger = 'schedule' | 'manual';
export type BackupBackend = 'sqlite' | 'mysql' | 'postgres';

/** Record counts per table (customers, bills, payments, users…); empty when the archive cannot be read. */
export type BackupCounts = Partial<Record<string, number>>;

/** One archive in `<data dir>/backups`, newest first in the list. */
export interface Backup {
  /** `opcms-20261206T010000Z.tar.zst`; the key in every path. */
  name: string;
  size_bytes: number;
  created_at: string;
  /** The manifest's facts; null when the archive cannot be read (a corrupt one). */
  source_backend: BackupBackend | null;
  schema_version: string | null;
  format_version: number | null;
  tables: number | null;
  rows: number | null;
  counts: BackupCounts;
  status: BackupStatus;
  verified_at: string | null;
  /** Why it is corrupt (or could not be read). */
  error: string | null;
  /** Null for an archive the server did not write itself (copied into the folder). */
  trigger: BackupTrigger | null;
}

export interface BackupList {
  /** How many archives the daily job keeps (setting `backup_keep`). */
  keep: number;
  /** A backup is being written now. */
  running: boolean;
  /** The last backup that failed, until one succeeds. */
  last_error: { at: string; message: string } | null;
  items: Backup[];
}

/** A name in a path (the server's names need no escaping, but a name is data). */
const at = (name: string) => `/backups/${encodeURIComponent(name)}`;

/** `GET /backups`. */
export function listBackups(config?: AxiosRequestConfig) {
  return request.get<BackupList>('/backups', config);
}

/** `POST /backups` → 202 `{name}`: written in the background; 409 BACKUP_RUNNING while one is. */
export function startBackup(config?: AxiosRequestConfig) {
  return request.post<{ name: string }>('/backups', undefined, config);
}

/** `POST /backups/{name}/verify`: re-reads the archive and checks every checksum. */
export function verifyBackup(name: string, config?: AxiosRequestConfig) {
  return request.post<Backup>(`${at(name)}/verify`, undefined, config);
}

/** `GET /backups/{name}/download`: saves the archive under its own name. */
export function downloadBackup(name: string) {
  return downloadFile(`${at(name)}/download`, { fallbackName: name });
}
