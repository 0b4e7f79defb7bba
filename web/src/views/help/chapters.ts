import { renderMarkdown, type RenderedDoc } from '@/utils/markdown';

/**
 * The user manual, bundled at build time from the repository's docs/manual/: one chapter
 * per Markdown file (README.md is the index), its screenshots from docs/manual/images/
 * as hashed assets. The files stay readable on their own (GitHub, an editor); the app
 * shows the same text under /help/<chapter>.
 */
const sources = import.meta.glob<string>('../../../../docs/manual/*.md', { query: '?raw', import: 'default', eager: true });
const images = import.meta.glob<string>('../../../../docs/manual/images/*.{png,jpg,svg}', { import: 'default', eager: true });

/** Chapter keys in reading order; `index` is README.md. */
export const CHAPTER_ORDER = ['index', 'operations', 'sales', 'management'] as const;

const fileName = (path: string) => path.slice(path.lastIndexOf('/') + 1);
const keyOf = (file: string) => (file === 'README.md' ? 'index' : file.replace(/\.md$/, ''));

const imageUrls = new Map(Object.entries(images).map(([path, url]) => [fileName(path), url]));

/** `images/x.png` (as the Markdown writes it) → the bundled URL. */
function imageUrl(src: string): string | null {
  const match = /^(?:\.\/)?images\/([^/?#]+)$/.exec(src);
  return match ? (imageUrls.get(match[1] ?? '') ?? null) : null;
}

/** `sales.md#对账单`, `README.md`, `#月结流程` (within `current`) → `/help/sales#对账单`. */
export function chapterLink(href: string, current: string): string | null {
  const match = /^(?:\.\/)?(?:([\w-]+)\.md)?(#.*)?$/.exec(href);
  if (!match || (!match[1] && !match[2])) return null;
  const key = match[1] ? keyOf(`${match[1]}.md`) : current;
  return `${helpPath(key)}${match[2] ?? ''}`;
}

export const helpPath = (chapter: string) => (chapter === 'index' ? '/help' : `/help/${chapter}`);

export interface Chapter extends RenderedDoc {
  key: string;
}

export const chapters: Chapter[] = Object.entries(sources)
  .map(([path, source]) => {
    const key = keyOf(fileName(path));
    return { key, ...renderMarkdown(source, { image: imageUrl, link: (href) => chapterLink(href, key) }) };
  })
  .sort((a, b) => rank(a.key) - rank(b.key) || a.key.localeCompare(b.key));

function rank(key: string): number {
  const index = (CHAPTER_ORDER as readonly string[]).indexOf(key);
  return index < 0 ? CHAPTER_ORDER.length : index;
}

export function findChapter(key: string | undefined): Chapter | undefined {
  return chapters.find((c) => c.key === (key || 'index'));
}

/** Whether `chapter#anchor` (a route's `meta.help`) names a chapter and, if given, a heading in it. */
export function helpTargetExists(target: string): boolean {
  const [key, anchor] = target.split('#', 2);
  const chapter = findChapter(key);
  return !!chapter && (!anchor || chapter.headings.some((h) => h.id === anchor));
}
