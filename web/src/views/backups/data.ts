import type { Backup, BackupStatus } from '@/api/types';

export const STATUS_COLORS: Record<BackupStatus, string> = { verified: 'green', corrupt: 'red', unknown: 'gray' };
export const COUNT_KEYS = ['customers', 'bills', 'payments', 'users'] as const;

/** What the table (wide screens) and the cards (phones) show the backups with. */
export interface BackupListProps {
  items: readonly Backup[];
  loading: boolean;
  verifying: Record<string, boolean>;
  downloading: Record<string, boolean>;
}

export type BackupListEmits = { verify: [name: string]; download: [name: string] };
