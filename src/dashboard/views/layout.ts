/** The page around every view: head, stylesheet, navigation, the result of the last action. */
import type { Notice } from '../flash.js';
import { Html, html } from '../html.js';
import { STYLESHEET } from '../style.js';

/** The sections of the navigation. */
export type Section = 'overview' | 'requests' | 'events' | 'deliveries';

const NAV: readonly [Section, string, string][] = [
  ['overview', 'Overview', '/'],
  ['requests', 'Requests', '/requests'],
  ['events', 'Events', '/events'],
  ['deliveries', 'Failed & dead', '/deliveries'],
];

/** What a page is made of. */
export interface PageParts {
  base: string;
  title: string;
  /** The page's own heading, first in `<title>`. */
  heading: string;
  /** The section to mark in the navigation; none for error pages. */
  section?: Section | undefined;
  /** Whether to show the navigation (not to a refused visitor). */
  nav?: boolean;
  notice?: Notice | undefined;
  body: Html;
}

/** A whole HTML document. */
export function layout(parts: PageParts): string {
  const nav =
    parts.nav === false
      ? ''
      : html`<nav aria-label="Dashboard">${NAV.map(
          ([section, label, path]) =>
            html`<a href="${parts.base}${path}"${section === parts.section ? html` aria-current="page"` : ''}>${label}</a>`,
        )}</nav>`;
  const notice =
    parts.notice === undefined
      ? ''
      : html`<div class="notice ${parts.notice.kind}" role="status">${parts.notice.text}</div>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>${parts.heading} · ${parts.title}</title>
<style>${new Html(STYLESHEET)}</style>
</head>
<body>
<header><a class="title" href="${parts.base}/">${parts.title}</a>${nav}</header>
<main>
${notice}${parts.body}
</main>
</body>
</html>
`.toString();
}
