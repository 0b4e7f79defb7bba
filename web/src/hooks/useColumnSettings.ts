import { ref, watch } from 'vue';

const PREFIX = 'opcms.columns.';

/**
 * The visible columns saved under `key`, keeping only columns that still exist, in
 * the table's order; the defaults when nothing (or nothing usable) is saved.
 */
export function loadVisibleColumns(key: string, all: readonly string[], defaults: readonly string[]): string[] {
  try {
    const saved: unknown = JSON.parse(localStorage.getItem(PREFIX + key) ?? 'null');
    if (Array.isArray(saved)) {
      const visible = all.filter((column) => saved.includes(column));
      if (visible.length) return visible;
    }
  } catch {
    // Unreadable: fall back to the defaults.
  }
  return all.filter((column) => defaults.includes(column));
}

/** Which optional columns a table shows, remembered in localStorage per table. */
export function useColumnSettings(key: string, all: readonly string[], defaults: readonly string[]) {
  const visible = ref<string[]>(loadVisibleColumns(key, all, defaults));
  watch(visible, (columns) => {
    try {
      localStorage.setItem(PREFIX + key, JSON.stringify(columns));
    } catch {
      // Storage full or disabled: the choice lasts for this page only.
    }
  });
  return {
    visible,
    /** Show only these, in the table's order. */
    setVisible: (columns: readonly string[]) => {
      visible.value = all.filter((column) => columns.includes(column));
    },
    reset: () => {
      visible.value = all.filter((column) => defaults.includes(column));
    },
  };
}
