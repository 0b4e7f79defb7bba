import { describe, expect, it } from 'vitest';
import { messages } from '@/locale';

type Tree = { [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(path, value);
    else for (const [k, v] of leaves(value, path)) out.set(k, v);
  }
  return out;
}

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('locales', () => {
  const zh = leaves(messages['zh-CN'] as unknown as Tree);
  const en = leaves(messages['en-US'] as unknown as Tree);

  it('has every zh-CN key in en-US', () => {
    const missing = [...zh.keys()].filter((k) => !en.has(k));
    expect(missing).toEqual([]);
  });

  it('has no en-US key that zh-CN lacks', () => {
    const extra = [...en.keys()].filter((k) => !zh.has(k));
    expect(extra).toEqual([]);
  });

  it('uses the same placeholders in both languages', () => {
    const mismatched = [...zh.entries()]
      .filter(([key, text]) => placeholders(text).join() !== placeholders(en.get(key) ?? '').join())
      .map(([key]) => key);
    expect(mismatched).toEqual([]);
  });

  it('has no empty message', () => {
    const empty = [...zh, ...en].filter(([, text]) => text.trim() === '').map(([key]) => key);
    expect(empty).toEqual([]);
  });

  it('names a label for every permission code of the role matrix', () => {
    const codes = [
      'customers.view', 'customers.edit', 'customers.import', 'customers.export',
      'pricing.view', 'pricing.manage', 'billing.view', 'billing.manage',
      'payments.view', 'payments.manage', 'analytics.view',
      'users.manage', 'audit.view', 'settings.manage', 'jobs.view', 'notifications.view', 'notifications.manage',
    ];
    for (const code of codes) {
      expect(zh.get(`permission.${code}`), code).toBeTruthy();
      expect(en.get(`permission.${code}`), code).toBeTruthy();
    }
  });
});
