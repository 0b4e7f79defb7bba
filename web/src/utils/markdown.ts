import MarkdownIt from 'markdown-it';
import { slug } from 'github-slugger';

/**
 * Rendering the user manual (docs/manual/*.md) into the app. Raw HTML is off (markdown-it
 * escapes it), so a chapter can never inject markup or script; links that markdown-it
 * deems unsafe (`javascript:` and the like) are not links at all. Heading ids follow
 * GitHub's slugs, so `operations.md#生成账单` points at the same heading on GitHub, in a
 * text editor's preview and in the app.
 */

export interface Heading {
  level: number;
  text: string;
  id: string;
}

export interface RenderedDoc {
  /** The first `#` heading's text. */
  title: string;
  headings: Heading[];
  html: string;
}

export interface RenderOptions {
  /** A relative image path (`images/x.png`) as a URL, or null when there is no such image. */
  image?: (src: string) => string | null;
  /** A relative link (`sales.md#对账单`) as an in-app path, or null to leave it as written. */
  link?: (href: string) => string | null;
}

const md = new MarkdownIt({ html: false, linkify: false, typographer: false });

/** GitHub's slugs: the same text twice gets `-1`, `-2`… */
function slugger() {
  const seen = new Map<string, number>();
  return (text: string) => {
    const base = slug(text);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count ? `${base}-${count}` : base;
  };
}

const isExternal = (href: string) => /^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('//');

export function renderMarkdown(source: string, options: RenderOptions = {}): RenderedDoc {
  const env = {};
  const tokens = md.parse(source, env);
  const headings: Heading[] = [];
  const nextId = slugger();

  tokens.forEach((token, index) => {
    if (token.type === 'heading_open') {
      const inline = tokens[index + 1];
      const text = (inline?.children ?? [])
        .filter((child) => child.type === 'text' || child.type === 'code_inline')
        .map((child) => child.content)
        .join('');
      const id = nextId(text);
      token.attrSet('id', id);
      headings.push({ level: Number(token.tag.slice(1)), text, id });
    }
    for (const child of token.children ?? []) {
      if (child.type === 'link_open') {
        const href = String(child.attrGet('href') ?? '');
        if (isExternal(href)) {
          child.attrSet('target', '_blank');
          child.attrSet('rel', 'noopener noreferrer');
        } else {
          const inApp = options.link?.(href);
          if (inApp) {
            child.attrSet('href', inApp);
            child.attrSet('data-route', '');
          }
        }
      } else if (child.type === 'image') {
        const src = String(child.attrGet('src') ?? '');
        const url = isExternal(src) ? null : (options.image?.(src) ?? null);
        if (url) {
          child.attrSet('src', url);
          child.attrSet('loading', 'lazy');
        } else {
          // A screenshot the browser tests have not made yet: say so instead of a broken image.
          child.type = 'missing_image';
        }
      }
    }
  });

  const html = md.renderer.render(tokens, md.options, env);
  const title = headings.find((h) => h.level === 1)?.text ?? '';
  return { title, headings, html };
}

md.renderer.rules.missing_image = (tokens, index) => {
  const token = tokens[index];
  const alt = token ? md.utils.escapeHtml(token.children?.map((c) => c.content).join('') || token.content) : '';
  return `<span class="manual-missing-image">${alt}</span>`;
};
