// Tiny helpers for building pages as HTML strings: every value that came
// from the server goes through esc, so a product name cannot inject markup.

export function esc(v: unknown): string {
  return String(v ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface Money {
  amount: string;
  currencyCode: string;
}

export function money(m: Money | null | undefined): string {
  if (!m) return '—';
  const n = Number(m.amount);
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency: m.currencyCode }).format(n);
  } catch {
    return `${m.amount} ${m.currencyCode}`;
  }
}

export function when(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function statusLabel(s: string): string {
  return s.toLowerCase().replace(/_/g, ' ');
}

export function stars(avg: number): string {
  const full = Math.round(avg);
  return '★'.repeat(full) + '☆'.repeat(5 - full);
}

export function $(root: ParentNode, sel: string): HTMLElement {
  const el = root.querySelector<HTMLElement>(sel);
  if (!el) throw new Error(`page has no ${sel}`);
  return el;
}

export function errorBox(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return `<p class="error" role="alert" data-testid="error">${esc(msg)}</p>`;
}
