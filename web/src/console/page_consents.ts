// Consents: a subject's consents with their state, option, expiry and receipt (REQ C2, C4, C5).
// Looking a person up is a read of personal data: the server audits it (REQ S6).
import { h, mount } from '../common/dom';
import { type Ctx, type Schemas, attempt, field, heading, load, say, statusRegion, table, when } from './ui';

// What a consent is now: withdrawn (C4), spent (a "once" consent used, C5), expired, or active.
export function consentState(c: Schemas['Consent'], now = Date.now()): string {
  if (c.withdrawn_at) return `Withdrawn ${when(c.withdrawn_at)}`;
  if (c.option === 'once' && c.used_at) return `Used ${when(c.used_at)} (once)`;
  if (c.expires_at && Date.parse(c.expires_at) <= now) return 'Expired';
  return 'Active';
}

const optionText: Record<string, string> = {
  once: 'Only this time', while_in_use: 'Allow while in use', always: 'Always allow',
};

export async function renderConsents(ctx: Ctx, main: HTMLElement): Promise<void> {
  const subject = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const purpose = h('input', { type: 'text', autocomplete: 'off' });
  const status = statusRegion('consents-status');
  const out = h('div', { id: 'consents-out' });
  const receipt = h('section', { id: 'receipt', 'aria-live': 'polite' });
  const form = h('form', { class: 'inline', role: 'search', 'aria-label': 'Look up a subject' },
    field('consent-subject', 'Subject id', subject, 'The pseudonymous id, e.g. S1'),
    field('consent-purpose', 'Purpose (optional)', purpose),
    h('button', { type: 'submit', id: 'lookup' }, 'Look up'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = subject.value.trim();
    if (!id) return say(status, 'error', 'enter a subject id first');
    mount(receipt);
    await attempt(status, async () => {
      const query: { size: number; purpose?: string } = { size: 500 };
      if (purpose.value.trim()) query.purpose = purpose.value.trim();
      const r = await load(ctx.api.GET('/v1/subjects/{id}/consents', { params: { path: { id }, query } }));
      const items = r.items ?? [];
      say(status, 'ok', `${items.length} consent${items.length === 1 ? '' : 's'} of ${id}.`);
      mount(out, table(`Consents of ${id}, newest first per purpose`,
        ['Consent', 'Purpose', 'State', 'Option', 'Given', 'Expires', 'Notice', 'Receipt'],
        items.map((c) => [
          `#${c.id}`, c.purpose, consentState(c), optionText[c.option ?? ''] ?? c.option, when(c.given_at), when(c.expires_at),
          `#${c.notice_id}`,
          h('button', { type: 'button', 'data-consent': String(c.id), onclick: () => void showReceipt(ctx, c.id ?? 0, receipt, status) }, `Receipt #${c.id}`),
        ]), { id: 'consents', empty: 'No consent recorded for this subject.' }));
    });
  });
  mount(main, ...heading('Consents', "A subject's consents, each for one purpose: state, option, expiry and the receipt the person was given (REQ C1, C2, C5)."),
    form, status, out, receipt);
}

// The receipt (Kantara Consent Receipt / ISO/IEC 27560 fields) shown in the page, with a link
// to save it; the key never leaves the request header.
async function showReceipt(ctx: Ctx, id: number, into: HTMLElement, status: HTMLElement): Promise<void> {
  await attempt(status, async () => {
    const r = await load(ctx.api.GET('/v1/consents/{id}/receipt', { params: { path: { id } } }));
    const text = JSON.stringify(r.receipt, null, 2);
    const url = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
    mount(into, h('h2', {}, `Receipt of consent #${id}`),
      h('p', {}, h('a', { href: url, download: `consent-receipt-${id}.json` }, `Save receipt #${id} (JSON)`)),
      h('pre', { class: 'receipt', tabindex: 0, 'aria-label': `Receipt of consent ${id}` }, text));
  });
}
