// Client-side routes under /shop/. The Go handler answers every /shop/ path
// with index.html, so these URLs survive a reload or a shared link.

export const base = '/shop';

// A page renders into root and may return a cleanup (for example to close a
// subscription) that runs when the user navigates away.
export type Page = (root: HTMLElement, params: Record<string, string>, query: URLSearchParams) => Promise<(() => void) | void>;

interface Route {
  re: RegExp;
  keys: string[];
  page: Page;
}

const routes: Route[] = [];

export function route(pattern: string, page: Page): void {
  const keys: string[] = [];
  const re = new RegExp(
    '^' + pattern.replace(/:(\w+)/g, (_, k: string) => {
      keys.push(k);
      return '([^/]+)';
    }) + '/?$',
  );
  routes.push({ re, keys, page });
}

let cleanup: (() => void) | void;
let renderSeq = 0;
export function navigate(to: string, replace = false): void {
  const url = to.startsWith(base) ? to : base + to;
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  void render();
}

export async function render(): Promise<void> {
  const seq = ++renderSeq;
  if (cleanup) {
    cleanup();
    cleanup = undefined;
  }
  const root = document.getElementById('main')!;
  const path = location.pathname.slice(base.length) || '/';
  for (const r of routes) {
    const m = path.match(r.re);
    if (!m) continue;
    const params: Record<string, string> = {};
    r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1])));
    // Each render gets its own element: a slow page that finishes after the
    // user moved on writes into a detached node, not over the new page.
    const el = document.createElement('div');
    el.innerHTML = '<p class="muted">Loading…</p>';
    root.replaceChildren(el);
    const done = await r.page(el, params, new URLSearchParams(location.search));
    // A newer navigation finished first: this page is gone already.
    if (seq !== renderSeq) {
      if (done) done();
      return;
    }
    cleanup = done;
    return;
  }
  root.innerHTML = '<h1>Not found</h1><p><a href="/shop/" data-link>Back to the shop</a></p>';
}

export function start(): void {
  document.addEventListener('click', (ev) => {
    const a = (ev.target as Element).closest<HTMLAnchorElement>('a[data-link]');
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(a.getAttribute('href')!);
  });
  window.addEventListener('popstate', () => void render());
  void render();
}
