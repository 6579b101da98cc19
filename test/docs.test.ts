/**
 * The guides' links: every relative link leads to a file, and to a heading when it names one; so
 * does every `docs/<page>.md#<heading>` the source and the top-level pages name.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('../', import.meta.url));

const PAGES = [
  'README.md',
  'CHANGELOG.md',
  'example-app/README.md',
  ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.md'))
    .map((file) => join('docs', file)),
].map((page) => join(ROOT, page));

/** The text of a page outside its code blocks. */
function prose(file: string): string {
  return readFileSync(file, 'utf8').replace(/```[\s\S]*?```/g, '');
}

/** The anchors GitHub gives a page's headings: lower case, punctuation dropped, `-` for spaces. */
function anchors(file: string): Set<string> {
  const found = new Set<string>();
  const seen = new Map<string, number>();
  for (const [, heading] of prose(file).matchAll(/^#{1,6} (.+)$/gm)) {
    const slug = (heading as string)
      .trim()
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const repeats = seen.get(slug) ?? 0;
    seen.set(slug, repeats + 1);
    found.add(repeats === 0 ? slug : `${slug}-${repeats}`);
  }
  return found;
}

describe('the documentation', () => {
  it('links only to files that exist, and to headings that exist', () => {
    const broken: string[] = [];
    for (const page of PAGES) {
      for (const [, link] of prose(page).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(link as string)) continue; // https:, mailto:
        const [path = '', anchor] = (link as string).split('#');
        const target = path === '' ? page : resolve(dirname(page), path);
        const where = `${relative(ROOT, page)}: ${link}`;
        if (!existsSync(target)) broken.push(`${where} (no such file)`);
        else if (anchor !== undefined && target.endsWith('.md') && !anchors(target).has(anchor)) {
          broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('names only docs pages and headings that exist, in the source and the top-level pages', () => {
    // `docs/reliability.md#retention` in a JSDoc comment or an error message, or in the plain
    // text of README.md and CHANGELOG.md; not a URL's `/docs/` path.
    const files = [
      ...readdirSync(join(ROOT, 'src'), { recursive: true, encoding: 'utf8' })
        .filter((file) => file.endsWith('.ts'))
        .map((file) => join('src', file)),
      'README.md',
      'CHANGELOG.md',
    ];
    const broken: string[] = [];
    for (const file of files) {
      const text = readFileSync(join(ROOT, file), 'utf8');
      for (const [, path = '', anchor] of text.matchAll(
        /(?<![\w./-])(docs\/[\w./-]+\.md)(?:#([\w-]+))?/g,
      )) {
        const target = join(ROOT, path);
        const where = `${file}: ${path}${anchor === undefined ? '' : `#${anchor}`}`;
        if (!existsSync(target)) broken.push(`${where} (no such file)`);
        else if (anchor !== undefined && !anchors(target).has(anchor)) {
          broken.push(`${where} (no such heading)`);
        }
      }
    }
    expect(broken).to.deep.equal([]);
  });

  it('lists every guide in docs/README.md', () => {
    const index = readFileSync(join(ROOT, 'docs/README.md'), 'utf8');
    for (const page of readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'))) {
      if (page !== 'README.md') expect(index, page).to.include(`](${page})`);
    }
  });
});
