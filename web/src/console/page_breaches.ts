// Breaches (REQ S9, PIPL 57; admins only): the list, one breach opened with its affected people,
// where it stands in the workflow (open -> assessed -> authority notified -> people notified or
// not -> closed) and its next steps.
import { h, mount } from '../common/dom';
import { type Ctx, type Schemas, attempt, button, field, heading, load, say, statusRegion, table, when } from './ui';

const steps: [string, string][] = [
  ['open', 'Recorded'], ['assessed', 'Affected people assessed'], ['authority_notified', 'Authority notified'],
  ['people_notified', 'People notified (or not, with a reason)'], ['closed', 'Closed'],
];
// "notify-authority" -> "Notify authority" (a button's text).
const stepLabel = (s: string) => s.charAt(0).toUpperCase() + s.slice(1).replace(/-/g, ' ');
const stepIndex = (s: string) => (s === 'people_not_notified' ? 3 : steps.findIndex(([k]) => k === s));

export async function renderBreaches(ctx: Ctx, main: HTMLElement): Promise<void> {
  const status = statusRegion('breaches-status');
  const listOut = h('div', { id: 'breaches-out' });
  const detail = h('section', { id: 'breach', 'aria-live': 'polite' });
  const refresh = async () => {
    const r = await load(ctx.api.GET('/v1/breaches', { params: { query: { size: 500 } } }));
    const items = r.items ?? [];
    mount(listOut, table('Breaches, newest first', ['Breach', 'Status', 'Detected', 'Data kinds', 'Description', 'Open'],
      items.map((b) => [`#${b.id}`, (b.status ?? '').replace(/_/g, ' '), when(b.detected_at), (b.kinds ?? []).join(', '), b.description,
        button(`Open breach #${b.id}`, () => void show(b.id ?? 0), { 'data-breach': String(b.id) })]),
      { id: 'breaches', empty: 'No breach recorded.' }));
  };
  const show = async (id: number) => {
    await attempt(status, async () => {
      const v = await load(ctx.api.GET('/v1/breaches/{id}', { params: { path: { id } } }));
      const b = v.breach!;
      const at = stepIndex(b.status ?? 'open');
      const workflow = h('ol', { class: 'workflow', id: 'workflow', 'aria-label': 'Workflow' },
        ...steps.map(([, label], i) => h('li', { class: i < at ? 'done' : i === at ? 'current' : 'todo', 'aria-current': i === at ? 'step' : null },
          i < at ? `✓ ${label}` : i === at ? `● ${label} (current)` : `○ ${label}`)));
      mount(detail, h('h2', {}, `Breach #${b.id}: ${(b.status ?? '').replace(/_/g, ' ')}`),
        workflow,
        h('dl', {},
          h('dt', {}, 'What happened'), h('dd', {}, b.description ?? ''),
          h('dt', {}, 'Cause'), h('dd', {}, b.cause ?? ''),
          h('dt', {}, 'Exposure window'), h('dd', {}, `${when(b.window?.from)} to ${when(b.window?.to)}`),
          h('dt', {}, 'Data kinds'), h('dd', {}, (b.kinds ?? []).join(', ')),
          h('dt', {}, 'Contact'), h('dd', {}, b.contact ?? '')),
        table(`People affected by breach #${b.id}`, ['Subject', 'Data kinds', 'Notified'],
          (b.affected ?? []).map((p) => [p.subject, (p.kinds ?? []).join(', '), when(p.notified_at)]),
          { id: 'affected', empty: at === 0 ? 'Not assessed yet.' : 'Nobody affected.' }),
        nextSteps(ctx, b, status, async () => { await refresh(); await show(id); }));
    });
  };
  mount(main, ...heading('Breaches', 'A breach is recorded with what PIPL 57 asks for, assessed from the store, reported to the authority and told to the people affected (REQ S9).'),
    status, listOut, detail);
  await refresh();
}

// A form for each next step; the steps that need words (the authority's reference, the reason
// not to notify) ask for them.
function nextSteps(ctx: Ctx, b: Schemas['Breach'], status: HTMLElement, after: () => Promise<void>): HTMLElement | null {
  const next = b.next_steps ?? [];
  if (next.length === 0) return null;
  const id = b.id ?? 0;
  const forms = next.map((step) => {
    const input = h('input', { type: 'text', required: true, autocomplete: 'off' });
    const needs = step === 'notify-authority' ? "The authority's case number" : step === 'no-notify' ? 'Why the measures avoid harm (PIPL 57)' : '';
    const form = h('form', { class: 'inline' }, needs ? field(`step-${step}`, needs, input) : null,
      h('button', { type: 'submit', 'data-step': step }, stepLabel(step)));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const path = { params: { path: { id } } };
      const ok = await attempt(status, async () => {
        if (step === 'assess') await load(ctx.api.POST('/v1/breaches/{id}/assess', path));
        else if (step === 'notify-authority') await load(ctx.api.POST('/v1/breaches/{id}/notify-authority', { ...path, body: { reference: input.value } }));
        else if (step === 'notify-people') await load(ctx.api.POST('/v1/breaches/{id}/notify-people', path));
        else if (step === 'no-notify') await load(ctx.api.POST('/v1/breaches/{id}/no-notify', { ...path, body: { reason: input.value } }));
        else if (step === 'close') await load(ctx.api.POST('/v1/breaches/{id}/close', path));
      });
      if (ok) {
        await after();
        say(status, 'ok', `Breach #${id}: ${step.replace(/-/g, ' ')} done.`);
      }
    });
    return form;
  });
  return h('section', { 'aria-labelledby': 'h-next' }, h('h3', { id: 'h-next' }, 'Next steps'), ...forms);
}
