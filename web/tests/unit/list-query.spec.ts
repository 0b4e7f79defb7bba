import { describe, expect, it } from 'vitest';
import { parseListQuery } from '@/hooks/useListQuery';

describe('list state in the URL', () => {
  const keys = ['q', 'role'] as const;

  it('defaults to page 1 of 20 with no filters', () => {
    expect(parseListQuery({}, keys)).toEqual({ page: 1, pageSize: 20, filters: { q: '', role: '' } });
  });

  it('reads page, page size and filters', () => {
    expect(parseListQuery({ page: '3', page_size: '50', q: '张', role: 'sales' }, keys)).toEqual({
      page: 3,
      pageSize: 50,
      filters: { q: '张', role: 'sales' },
    });
  });

  it('ignores nonsense and sizes the UI does not offer', () => {
    expect(parseListQuery({ page: '-2', page_size: '7' }, keys)).toMatchObject({ page: 1, pageSize: 20 });
    expect(parseListQuery({ page: 'x', page_size: '100000' }, keys)).toMatchObject({ page: 1, pageSize: 20 });
    expect(parseListQuery({ q: ['a', 'b'] }, keys).filters.q).toBe('a');
  });
});
