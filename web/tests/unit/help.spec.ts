/**
 * 帮助: the user manual (docs/manual/*.md) bundled into the app. Every chapter is found,
 * its headings get GitHub's anchors, links between chapters become in-app routes, raw
 * HTML and script links never reach the page, every page's `meta.help` names a heading
 * that exists, and the help page renders a chapter and the page links for each role.
 */
import { describe, expect, it } from 'vitest';
import { h } from 'vue';
import { createPinia, setActivePinia } from 'pinia';
import { createMemoryHistory, createRouter, RouterView, type RouteRecordRaw } from 'vue-router';
import type { User } from '@/api/types';
import { appRoutes } from '@/router/routes';
import { helpFor, PAGE_HELP } from '@/router/help';
import { useAuthStore } from '@/store';
import { renderMarkdown } from '@/utils/markdown';
import { chapterLink, chapters, findChapter, helpTargetExists } from '@/views/help/chapters';
import HelpPage from '@/views/help/index.vue';
import PageHelpLink from '@/layout/components/PageHelpLink.vue';
import { mountApp } from './support/mount';
import { userFixture } from './support/users';

describe('the manual', () => {
  it('has the index and one chapter per role, in reading order, each with a title', () => {
    expect(chapters.map((c) => c.key)).toEqual(['index', 'operations', 'sales', 'management']);
    expect(chapters.map((c) => c.title)).toEqual(['OP_CMS 用户手册', '运营手册', '销售手册', '管理手册']);
  });

  it('gives headings GitHub’s anchors, so links work on GitHub and in the app alike', () => {
    const operations = findChapter('operations');
    const ids = operations?.headings.map((h) => h.id) ?? [];
    expect(ids).toContain('月结流程');
    expect(ids).toContain('生成账单');
    expect(operations?.html).toContain('<h2 id="月结流程">月结流程</h2>');
    const doc = renderMarkdown('# A b\n\n## Step 1: Go!\n\n## Step 1: Go!\n\n### `code` 中文');
    expect(doc.headings.map((h) => h.id)).toEqual(['a-b', 'step-1-go', 'step-1-go-1', 'code-中文']);
  });

  it('shows only screenshots that exist, and has none it does not show (manual.e2e.ts makes them)', () => {
    const sources = import.meta.glob<string>('../../../docs/manual/*.md', { query: '?raw', import: 'default', eager: true });
    const files = Object.keys(import.meta.glob('../../../docs/manual/images/*.{png,jpg,svg}'));
    const shown = new Set(Object.values(sources).flatMap((text) => [...text.matchAll(/!\[[^\]]*\]\(images\/([^)\s]+)\)/g)].map((m) => m[1] ?? '')));
    const present = new Set(files.map((path) => path.slice(path.lastIndexOf('/') + 1)));
    expect([...shown].filter((f) => !present.has(f)).sort(), 'shown but missing').toEqual([]);
    expect([...present].filter((f) => !shown.has(f)).sort(), 'present but not shown').toEqual([]);
    expect(shown.size).toBeGreaterThan(0);
  });

  it('names a heading that exists for every page’s help link, for every role', () => {
    const missing: string[] = [];
    for (const [page, topic] of Object.entries(PAGE_HELP)) {
      const targets = typeof topic === 'string' ? [topic] : Object.values(topic);
      for (const target of targets) if (!target || !helpTargetExists(target)) missing.push(`${page} → ${target}`);
    }
    expect(missing).toEqual([]);
  });

  it('gives every page in the menu a help link', () => {
    const withoutHelp = appRoutes.filter((r) => !r.meta?.hideInMenu && !r.meta?.help).map((r) => String(r.name));
    expect(withoutHelp).toEqual([]);
  });

  it('turns links between chapters into routes and leaves external ones to a new tab', () => {
    expect(chapterLink('sales.md#对账单', 'operations')).toBe('/help/sales#对账单');
    expect(chapterLink('README.md', 'sales')).toBe('/help');
    expect(chapterLink('#定时任务', 'management')).toBe('/help/management#定时任务');
    expect(chapterLink('../api/bills.md', 'operations')).toBeNull();
    const html = findChapter('management')?.html ?? '';
    // markdown-it percent-encodes the hash; the router decodes it again.
    expect(html).toContain(`href="/help/sales#${encodeURI('流失预警')}" data-route=""`);
    const external = renderMarkdown('[docs](https://example.com/x)').html;
    expect(external).toContain('target="_blank" rel="noopener noreferrer"');
  });

  it('never lets raw HTML or script links through', () => {
    const doc = renderMarkdown(
      '# T\n\n<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[x](javascript:alert(3)) ![y](javascript:alert(4))\n\n<a href="/x">raw</a>',
    );
    expect(doc.html).not.toMatch(/<script|<img|<a |href="javascript:|src="javascript:/i);
    expect(doc.html).toContain('&lt;script&gt;');
    for (const chapter of chapters) expect(chapter.html).not.toMatch(/<script|<iframe|<style|="javascript:|\son\w+=/i);
  });

  it('shows a screenshot that is not there yet as its caption, never as a broken image', () => {
    const doc = renderMarkdown('![账单列表](images/none.png)', { image: () => null });
    expect(doc.html).toContain('<span class="manual-missing-image">账单列表</span>');
    const found = renderMarkdown('![账单列表](images/a.png)', { image: (src) => `/assets/${src.slice(7)}` });
    expect(found.html).toContain('<img src="/assets/a.png" alt="账单列表" loading="lazy">');
  });
});

function mountRoutes(role: User['role'], children: RouteRecordRaw[], path: string) {
  setActivePinia(createPinia());
  const auth = useAuthStore();
  auth.user = userFixture({ role });
  auth.permissions = [];
  const router = createRouter({ history: createMemoryHistory(), routes: children });
  return router.push(path).then(() => mountApp({ render: () => h(RouterView) }, router));
}

describe('the help page', () => {
  const routes: RouteRecordRaw[] = [{ path: '/help/:chapter?', name: 'Help', component: HelpPage }];

  it('renders the chapter in the address with the chapter list', async () => {
    const el = await mountRoutes('sales', routes, '/help/sales');
    expect(el.querySelector('[data-testid="help-article"]')?.getAttribute('data-chapter')).toBe('sales');
    expect(el.querySelector('[data-testid="help-article"] h1')?.textContent).toBe('销售手册');
    expect(el.querySelectorAll('[data-testid="help-toc"] [data-chapter]')).toHaveLength(4);
  });

  it('shows the index with a note for a chapter that does not exist', async () => {
    const el = await mountRoutes('sales', routes, '/help/nope');
    expect(el.querySelector('[data-testid="help-not-found"]')?.textContent).toContain('nope');
    expect(el.querySelector('[data-testid="help-article"]')?.getAttribute('data-chapter')).toBe('index');
  });
});

describe('a page’s help link', () => {
  const page = (name: string, path: string): RouteRecordRaw => ({
    path,
    name,
    component: PageHelpLink,
    meta: { help: PAGE_HELP[name] },
  });
  const routes = [page('Customers', '/customers'), page('Users', '/users'), { path: '/help/:chapter?', name: 'Help', component: HelpPage }];

  it('opens the chapter of the user’s role', async () => {
    expect(helpFor(PAGE_HELP.Customers, 'sales')).toBe('sales#我的客户');
    expect(helpFor(PAGE_HELP.Customers, 'management')).toBe('operations#客户档案');
    const el = await mountRoutes('sales', routes, '/customers');
    expect(decodeURIComponent(el.querySelector('[data-testid="page-help"]')?.getAttribute('href') ?? '')).toBe('/help/sales#我的客户');
    const other = await mountRoutes('management', routes, '/users');
    expect(decodeURIComponent(other.querySelector('[data-testid="page-help"]')?.getAttribute('href') ?? '')).toBe('/help/management#用户与团队');
  });
});
