// Subjects and rights requests (REQ R1, R2): the requests with their deadlines (overdue ones
// marked in words and colour), a subject's record, and for admins and operators recording and
// handling requests (complete, refuse with a reason). Auditors read only.
import { h, mount } from '../common/dom';
import { may } from './roles';
import { type Ctx, type Schemas, attempt, button, field, heading, load, say, select, statusRegion, table, when } from './ui';

const kinds = ['access', 'copy', 'correction', 'deletion', 'restriction', 'withdrawal', 'explanation', 'human_review'];

export async function renderRights(ctx: Ctx, main: HTMLElement): Promise<void> {
  const handles = may(ctx.me.role, 'rights');
  const status = statusRegion('rights-status');
  const listOut = h('div', { id: 'rights-out' });
  const subjectOut = h('div', { id: 'subject-out' });
  const handleOut = h('div', { id: 'handle-out' });
  const subject = h('input', { type: 'text', autocomplete: 'off' });
  const which = select([['', 'Every request'], ['open', 'Open'], ['overdue', 'Overdue']]);
  const filter = h('form', { class: 'inline', role: 'search', 'aria-label': 'Filter requests' },
    field('rights-subject', 'Subject id (optional)', subject), field('rights-status-filter', 'Requests', which),
    h('button', { type: 'submit', id: 'rights-filter' }, 'Show'));
  const refresh = async () => {
    mount(handleOut);
    await attempt(status, async () => {
      const query: { size: number; subject?: string; status?: 'open' | 'overdue' } = { size: 500 };
      if (subject.value.trim()) query.subject = subject.value.trim();
      if (which.value) query.status = which.value as 'open' | 'overdue';
      const r = await load(ctx.api.GET('/v1/rights', { params: { query } }));
      const items = r.items ?? [];
      mount(listOut,
        h('p', {}, h('strong', { id: 'rights-total' }, String(r.total ?? items.length)), ' requests listed; ',
          h('strong', { id: 'rights-overdue-count' }, String(r.overdue ?? 0)), ' open past their deadline.'),
        table('Rights requests, newest first', ['Request', 'Subject', 'Kind', 'Purpose', 'Received', 'Due', 'State', ...(handles ? ['Handle'] : [])],
          items.map((q) => [`#${q.id}`, q.subject, q.kind, q.purpose || '(every purpose)', when(q.received_at), when(q.due_at), stateText(q),
            ...(handles ? [q.status === 'open' ? handleButtons(ctx, q, handleOut, status, refresh) : '-'] : [])]),
          { id: 'rights', rowClass: (i) => (items[i].overdue ? 'overdue' : null), empty: 'No request.' }));
      if (query.subject && may(ctx.me.role, 'consents')) await showSubject(ctx, query.subject, subjectOut);
      else mount(subjectOut);
    });
  };
  filter.addEventListener('submit', (ev) => { ev.preventDefault(); void refresh(); });
  mount(main, ...heading('Subjects and rights requests', 'Requests of people exercising their rights, due 15 days after receipt unless configured otherwise (REQ R1, R2).'),
    filter, status, subjectOut, listOut, handleOut, handles ? recordForm(ctx, status, refresh) : null);
  await refresh();
}

function stateText(q: Schemas['RightsRequest']): string {
  if (q.status !== 'open') return q.status === 'refused' ? `Refused: ${q.reason}` : `Done ${when(q.completed_at)}`;
  return q.overdue ? '⚠ Overdue (open past its deadline)' : 'Open';
}

async function showSubject(ctx: Ctx, id: string, into: HTMLElement): Promise<void> {
  try {
    const s = await load(ctx.api.GET('/v1/subjects/{id}', { params: { path: { id } } }));
    mount(into, h('section', { 'aria-labelledby': 'h-subject' }, h('h2', { id: 'h-subject' }, `Subject ${id}`),
      h('p', {}, s.birth_date ? `Declared birth date ${s.birth_date}, age ${s.age}${s.minor ? ' (under 14: guardian consent, REQ M1)' : ''}.` : 'No birth date declared.')));
  } catch {
    mount(into, h('p', {}, `No record of subject ${id} (it may not be registered, or its record needs an approval, REQ M3).`));
  }
}

function handleButtons(ctx: Ctx, q: Schemas['RightsRequest'], into: HTMLElement, status: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const open = (action: 'complete' | 'refuse') => {
    const text = h('input', { type: 'text', required: action === 'refuse', autocomplete: 'off' });
    const form = h('form', { 'aria-labelledby': 'h-handle' },
      h('h2', { id: 'h-handle' }, `${action === 'complete' ? 'Complete' : 'Refuse'} request #${q.id} (${q.kind} for ${q.subject})`),
      field('handle-text', action === 'complete' ? 'Note (what was done)' : 'Reason (told to the person, REQ R1)', text),
      h('button', { type: 'submit', id: 'handle-submit' }, action === 'complete' ? 'Mark done' : 'Refuse the request'),
      button('Cancel', () => mount(into)));
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      const id = q.id ?? 0;
      const ok = await attempt(status, async () => {
        if (action === 'complete') await load(ctx.api.POST('/v1/rights/{id}/complete', { params: { path: { id } }, body: { note: text.value } }));
        else await load(ctx.api.POST('/v1/rights/{id}/refuse', { params: { path: { id } }, body: { reason: text.value } }));
      });
      if (ok) {
        await refresh();
        say(status, 'ok', `Request #${id} ${action === 'complete' ? 'marked done' : 'refused'}.`);
      }
    });
    mount(into, form);
    text.focus();
  };
  return h('span', { class: 'actions' },
    button('Complete', () => open('complete'), { 'aria-label': `Complete request ${q.id}` }),
    button('Refuse', () => open('refuse'), { 'aria-label': `Refuse request ${q.id}` }));
}

function recordForm(ctx: Ctx, status: HTMLElement, refresh: () => Promise<void>): HTMLElement {
  const subject = h('input', { type: 'text', required: true, autocomplete: 'off' });
  const kind = select(kinds.map((k) => [k, k.replace('_', ' ')]));
  const purpose = h('input', { type: 'text', autocomplete: 'off' });
  const note = h('input', { type: 'text', autocomplete: 'off' });
  const form = h('form', { 'aria-labelledby': 'h-record' },
    h('h2', { id: 'h-record' }, 'Record a request'),
    field('record-subject', 'Subject id', subject), field('record-kind', 'Kind', kind),
    field('record-purpose', 'Purpose (optional)', purpose, 'Empty: every purpose'),
    field('record-note', 'Note', note, 'How and where the person asked'),
    h('button', { type: 'submit', id: 'record' }, 'Record'));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    let id = 0;
    const ok = await attempt(status, async () => {
      const r = await load(ctx.api.POST('/v1/rights', { body: { subject: subject.value.trim(), kind: kind.value as 'access', purpose: purpose.value.trim(), note: note.value } }));
      id = r.request?.id ?? 0;
    });
    if (ok) {
      await refresh();
      say(status, 'ok', `Recorded request #${id}.`);
    }
  });
  return form;
}
