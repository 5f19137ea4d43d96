// What every console page shares: the signed-in context, typed calls that turn an error body
// into an exception the page shows plainly (a 403 says the role may not), accessible tables,
// status regions and small formatters.
import { type Api, type ApiError, asApiError } from '../common/api';
import type { components } from '../gen/openapi';
import { h } from '../common/dom';
import type { Role } from './roles';

export type Schemas = components['schemas'];

// The signed-in console: the typed client (the key is inside it, never in a URL) and who signed in.
export interface Ctx {
  api: Api;
  me: { id: string; role: Role };
}

// A failed call: the HTTP status and the server's error body.
export class ApiFailure extends Error {
  constructor(public status: number, public body: ApiError) {
    super(body.message);
  }
}

// Awaits an openapi-fetch call and returns its data, or throws ApiFailure with the error body.
export async function load<T>(call: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const r = await call;
  if (r.error !== undefined || !r.response.ok) throw new ApiFailure(r.response.status, asApiError(r.error, r.response.status));
  return r.data as T;
}

// The text a person reads for a failure: what the server said, with the requirement when the
// compliance core refused and a plain word when the role may not (403).
export function describeFailure(e: unknown): string {
  if (e instanceof ApiFailure) {
    const b = e.body;
    if (e.status === 403) return `Not allowed for your key's role (HTTP 403): ${b.message}`;
    if (e.status === 401) return `Your key is no longer valid (HTTP 401): ${b.message}. Sign in again.`;
    const req = b.requirement ? ` [requirement ${b.requirement}${b.citation ? `; ${b.citation}` : ''}]` : '';
    return `${b.message}${req} (HTTP ${e.status})`;
  }
  return `The call failed: ${e instanceof Error ? e.message : String(e)}. Check the connection and try again.`;
}

// A polite live region for a page's status messages (screen readers announce what changes).
export function statusRegion(id: string): HTMLElement {
  return h('p', { id, class: 'status', role: 'status', 'aria-live': 'polite' });
}

// Sets a status region's message: ok (done), error (failed) or info; the text says which, not colour alone.
export function say(region: HTMLElement, kind: 'ok' | 'error' | 'info', text: string): void {
  region.className = `status ${kind}`;
  region.textContent = kind === 'error' ? `Error: ${text}` : text;
}

// Runs `fn`, showing its failure in `region`; returns whether it succeeded.
export async function attempt(region: HTMLElement, fn: () => Promise<void>): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (e) {
    say(region, 'error', describeFailure(e));
    return false;
  }
}

export type Cell = Node | string | number | null | undefined;

// A data table with a caption and column headers (th scope=col); the first cell of each row is
// its header (th scope=row). `rowClass` marks rows (e.g. overdue), the text says it too.
export function table(caption: string, headers: string[], rows: Cell[][], opts: { id?: string; rowClass?: (i: number) => string | null; empty?: string } = {}): HTMLElement {
  const body = h('tbody');
  rows.forEach((cells, i) => {
    const tr = h('tr', { class: opts.rowClass?.(i) ?? null });
    cells.forEach((c, j) => tr.append(h(j === 0 ? 'th' : 'td', j === 0 ? { scope: 'row' } : {}, c === null || c === undefined ? '' : c)));
    body.append(tr);
  });
  if (rows.length === 0) {
    body.append(h('tr', {}, h('td', { colspan: headers.length }, opts.empty ?? 'None.')));
  }
  return h('div', { class: 'table-wrap' },
    h('table', { id: opts.id ?? null },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, ...headers.map((t) => h('th', { scope: 'col' }, t)))),
      body));
}

// A labelled input: <label for=id>text</label><input id=id ...>.
export function field(id: string, label: string, input: HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement, hint?: string): HTMLElement {
  input.id = id;
  const parts: (Node | string)[] = [h('label', { for: id }, label)];
  if (hint) {
    const hintId = `${id}-hint`;
    input.setAttribute('aria-describedby', hintId);
    parts.push(h('span', { id: hintId, class: 'hint' }, hint));
  }
  parts.push(input);
  return h('div', { class: 'field' }, ...parts);
}

export function select(options: [string, string][], value?: string): HTMLSelectElement {
  const s = h('select');
  for (const [v, text] of options) s.append(h('option', { value: v, selected: v === value }, text));
  return s;
}

// "2026-12-07T10:00:00Z" -> "2026-12-07 10:00 UTC" (null/absent -> "-").
export function when(iso: string | null | undefined): string {
  if (!iso) return '-';
  return iso.replace('T', ' ').replace(/:\d\dZ$/, ' UTC');
}

export function num(n: number | undefined): string {
  return (n ?? 0).toLocaleString('en-US');
}

// The page's heading and its lead paragraph.
export function heading(title: string, lead: string): Node[] {
  return [h('h1', { id: 'page-title', tabindex: -1 }, title), h('p', { class: 'lead' }, lead)];
}

// A button of type button (never submits a form by accident).
export function button(text: string, onclick: () => void, attrs: Record<string, string> = {}): HTMLButtonElement {
  return h('button', { type: 'button', onclick: onclick as EventListener, ...attrs }, text);
}
