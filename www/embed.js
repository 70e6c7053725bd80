// `?lesson=ID&embed=1`: one lesson for a teacher's page, in an iframe. The course's header,
// lesson navigation and footer are hidden (style.css, `html.embed`), and a link opens the same
// lesson, with the knobs as they are now, in the full playground.

/** Whether this page is an embedded lesson. */
export const embedded = new URLSearchParams(location.search).get('embed') === '1';

let openFull = null;

/** Lays the page out for an iframe, if it is embedded. */
export function setUpEmbed() {
  if (!embedded) return;
  document.documentElement.classList.add('embed');
  openFull = Object.assign(document.createElement('a'), { id: 'open-full', target: '_blank', rel: 'noopener', textContent: 'Open in the full cachelab playground ↗' });
  const bar = Object.assign(document.createElement('p'), { className: 'embed-bar' });
  bar.append(openFull);
  document.querySelector('main').prepend(bar);
  openFull.href = fullAddress(new URLSearchParams(location.search));
}

/**
 * The address bar's query for the lesson's settings `query` (without `embed`): an embedded page
 * keeps `embed=1`, and its link to the full playground follows every change.
 */
export function addressFor(query) {
  if (!embedded) return `?${query}`;
  if (openFull) openFull.href = fullAddress(query);
  return `?${new URLSearchParams([...query, ['embed', '1']])}`;
}

function fullAddress(query) {
  const q = new URLSearchParams(query);
  q.delete('embed');
  return `${location.pathname}?${q}`;
}
