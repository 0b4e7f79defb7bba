import type { FieldRule } from '@arco-design/web-vue';

export interface FieldOption {
  label: string;
  value: string | number;
}

/** One field of a schema-driven form (labels already translated). */
export interface FieldSchema {
  field: string;
  label: string;
  /**
   * `multiSelect` and `inputTag` keep their value as one comma-separated string, the
   * way list filters travel in the URL. `date` (`YYYY-MM-DD`), `month` (`YYYY-MM`) and
   * `customer` (an id, picked by search) are strings too.
   */
  component: 'input' | 'password' | 'select' | 'multiSelect' | 'inputTag' | 'radio' | 'dateRange' | 'date' | 'month' | 'customer';
  placeholder?: string;
  options?: FieldOption[];
  rules?: FieldRule[];
  /** Help text under the field. */
  extra?: string;
  disabled?: boolean;
  /** For `dateRange`: the two model keys that hold the start and end (`YYYY-MM-DD`). */
  rangeFields?: [string, string];
  /** Extra props passed to the input component. */
  props?: Record<string, unknown>;
}
