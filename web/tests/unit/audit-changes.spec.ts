import { describe, expect, it } from 'vitest';
import { toChangeRows } from '@/views/audit/data';

describe('audit changes', () => {
  it('reads {before: {...}, after: {...}}', () => {
    expect(toChangeRows({ before: { role: 'sales' }, after: { role: 'operations', status: 'disabled' } })).toEqual([
      { field: 'role', before: 'sales', after: 'operations' },
      { field: 'status', before: undefined, after: 'disabled' },
    ]);
  });

  it('reads a creation with only after', () => {
    expect(toChangeRows({ after: { username: 'li' } })).toEqual([{ field: 'username', before: undefined, after: 'li' }]);
  });

  it('reads {field: {before, after}}, {field: {old, new}} and {field: [before, after]}', () => {
    expect(toChangeRows({ role: { before: 'sales', after: 'management' } })).toEqual([
      { field: 'role', before: 'sales', after: 'management' },
    ]);
    expect(toChangeRows({ status: { old: 'active', new: 'disabled' } })).toEqual([
      { field: 'status', before: 'active', after: 'disabled' },
    ]);
    expect(toChangeRows({ display_name: ['A', 'B'] })).toEqual([{ field: 'display_name', before: 'A', after: 'B' }]);
  });

  it('gives up on anything else so the page shows the raw JSON', () => {
    expect(toChangeRows({ note: 'imported 12 rows' })).toBeNull();
    expect(toChangeRows(null)).toBeNull();
    expect(toChangeRows({})).toEqual([]);
  });
});
