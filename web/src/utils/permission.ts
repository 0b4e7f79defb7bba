import type { Component } from 'vue';
import type { RouteRecordRaw } from 'vue-router';

/**
 * True when nothing is required, or when the user holds the permission (for a list:
 * any one of them).
 */
export function hasPermission(granted: readonly string[], required: string | readonly string[] | undefined): boolean {
  if (required === undefined) return true;
  const list = typeof required === 'string' ? [required] : required;
  if (list.length === 0) return true;
  return list.some((p) => granted.includes(p));
}

export interface MenuItem {
  /** Route name for leaves, `group:<key>` for groups. */
  key: string;
  /** i18n key of the label. */
  title: string;
  icon?: Component;
  path?: string;
  children?: MenuItem[];
}

/**
 * The side menu: the layout's child routes the user may open, in `meta.order`, with
 * routes that share `meta.group` gathered under one entry. A group the user can open
 * nothing in is left out.
 */
export function buildMenu(
  routes: readonly RouteRecordRaw[],
  granted: readonly string[],
  groups: Record<string, { title: string; icon?: Component; order: number }> = {},
): MenuItem[] {
  type Entry = { order: number; item: MenuItem };
  const top: Entry[] = [];
  const grouped = new Map<string, Entry[]>();

  for (const route of routes) {
    const meta = route.meta;
    if (!meta?.title || meta.hideInMenu || typeof route.name !== 'string') continue;
    if (!hasPermission(granted, meta.permission)) continue;
    const path = route.path.startsWith('/') ? route.path : `/${route.path}`;
    const entry: Entry = {
      order: meta.order ?? 100,
      item: { key: route.name, title: meta.title, icon: meta.icon, path },
    };
    if (meta.group) {
      const list = grouped.get(meta.group) ?? [];
      list.push(entry);
      grouped.set(meta.group, list);
    } else {
      top.push(entry);
    }
  }

  for (const [key, entries] of grouped) {
    const group = groups[key] ?? { title: key, order: 100 };
    entries.sort((a, b) => a.order - b.order);
    top.push({
      order: group.order,
      item: { key: `group:${key}`, title: group.title, icon: group.icon, children: entries.map((e) => e.item) },
    });
  }

  return top.sort((a, b) => a.order - b.order).map((e) => e.item);
}
