// API keys (admins only; REQ S6): the keys with their roles, making one (its secret shown once,
// here, and never again) and revoking one after a second click. The server refuses to revoke
// the last active admin key and says so.
import { h, mount } from '../common/dom';
import { type Ctx, type Schemas, attempt, button, field, heading, load, say, select, statusRegion, table, when } from './ui';

export async function renderKeys(ctx: Ctx, main: HTMLElement): Promise<void> {
  const status = statusRegion('keys-status');
  const listOut = h('div', { id: 'keys-out' });
  const secretOut = h('div', { id: 'secret-out' });
  const refresh = async () => {
    const r = await load(ctx.api.GET('/v1/apikeys', { params: { query: { size: 500 } } }));
    const items = r.items ?? [];
    mount(listOut, table('API keys', ['Key', 'Role', 'Device', 'Purposes', 'Created', 'State', 'Revoke'],
      items.map((k) => [h('code', {}, k.id), k.role, k.device || '-', k.purposes.join(', ') || '-', when(k.created_at),
        k.active ? (k.is_caller ? 'Active (your key)' : 'Active') : `Revoked ${when(k.revoked_at)}`,
        k.active ? revokeControl(ctx, k, status, refresh) : '-']),
      { id: 'keys', rowClass: (i) => (items[i].active ? null : 'revoked') }));
  };
  mount(main, ...heading('API keys', 'Who may call what (REQ S6). Secrets are stored only as hashes: a new key is shown once, when it is made.'),
    createForm(ctx, status, secretOut, refresh), secretOut, status, listOut);
  await refresh();
}

function createForm(ctx: Ctx, status: HTMLElement, secretOut: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const role = select([['operator', 'operator'], ['auditor', 'auditor'], ['admin', 'admin'], ['device', 'device']], 'operator');
  const device = h('input', { type: 'text', autocomplete: 'off' });
  const purposes = h('input', { type: 'text', autocomplete: 'off' });
  const deviceFields = h('div', { class: 'device-fields' },
    field('key-device', 'Device', device, 'The device the key belongs to, e.g. gate-1'),
    field('key-purposes', 'Purposes', purposes, 'Comma-separated purposes it may act for'));
  const sync = () => { deviceFields.hidden = role.value !== 'device'; };
  role.addEventListener('change', sync);
  sync();
  const form = h('form', { 'aria-labelledby': 'h-create' },
    h('h2', { id: 'h-create' }, 'Create a key'),
    field('key-role', 'Role', role), deviceFields,
    h('button', { type: 'submit', id: 'create-key' }, 'Create key'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const body: { role: 'admin' | 'operator' | 'auditor' | 'device'; device?: string; purposes?: string[] } = { role: role.value as 'operator' };
    if (role.value === 'device') {
      body.device = device.value.trim();
      body.purposes = purposes.value.split(',').map((p) => p.trim()).filter(Boolean);
    }
    let made: { key: Schemas['ApiKey']; secret: string } | null = null;
    const ok = await attempt(status, async () => { made = await load(ctx.api.POST('/v1/apikeys', { body })); });
    if (!ok || !made) return;
    const m = made as { key: Schemas['ApiKey']; secret: string };
    mount(secretOut, h('section', { class: 'secret', 'aria-labelledby': 'h-secret' },
      h('h2', { id: 'h-secret' }, `New ${m.key.role} key ${m.key.id}`),
      h('p', {}, 'Copy this secret now and hand it to its holder: it is shown only this once and cannot be recovered.'),
      h('p', {}, h('code', { id: 'new-secret', tabindex: 0 }, m.secret)),
      button('Done, hide the secret', () => mount(secretOut))));
    say(status, 'ok', `Created ${m.key.role} key ${m.key.id}.`);
    await refresh();
    (document.getElementById('new-secret') as HTMLElement | null)?.focus();
  });
  return form;
}

// "Revoke" asks for a second click naming the key before anything happens.
function revokeControl(ctx: Ctx, k: Schemas['ApiKey'], status: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const box = h('span', { class: 'actions' });
  const ask = () => mount(box,
    button(`Confirm: revoke ${k.id}`, () => void (async () => {
      const ok = await attempt(status, async () => { await load(ctx.api.POST('/v1/apikeys/{id}/revoke', { params: { path: { id: k.id } } })); });
      if (ok) {
        await refresh();
        say(status, 'ok', `Revoked key ${k.id}; it stops working at its next request.`);
      } else reset();
    })(), { class: 'danger', 'data-confirm': k.id }),
    button('Cancel', () => reset()));
  const reset = () => mount(box, button('Revoke', ask, { 'aria-label': `Revoke key ${k.id}`, 'data-revoke': k.id }));
  reset();
  return box;
}
