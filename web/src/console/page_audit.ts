// Audit log viewer (REQ S6): the hash-chained events page by page (newest page first), a filter
// over the page shown, and the chain check (GET /v1/audit/verify). Reading the log is itself an
// audit event: the server appends it after the events it returns.
import { h, mount } from '../common/dom';
import { type Ctx, type Schemas, attempt, button, field, heading, load, say, statusRegion, table, when } from './ui';

const SIZE = 50;

export async function renderAudit(ctx: Ctx, main: HTMLElement): Promise<void> {
  const status = statusRegion('audit-status');
  const verifyOut = statusRegion('verify-result');
  const out = h('div', { id: 'audit-out' });
  const pageInput = h('input', { type: 'number', min: 1, value: 1, inputmode: 'numeric' });
  const filter = h('input', { type: 'search', autocomplete: 'off' });
  let events: Schemas['AuditEvent'][] = [];
  let total = 0;
  const pages = () => Math.max(1, Math.ceil(total / SIZE));
  const draw = () => {
    const f = filter.value.trim().toLowerCase();
    const shown = f ? events.filter((e) => [e.action, e.actor, e.subject, e.purpose, e.outcome].some((v) => (v ?? '').toLowerCase().includes(f))) : events;
    const page = Number(pageInput.value);
    mount(out,
      h('p', { id: 'audit-range' }, `Page ${page} of ${pages()}: ${events.length} events`, f ? `, ${shown.length} matching "${filter.value.trim()}"` : '', `; newest event #${total}.`),
      table(`Audit events, page ${page}`, ['Seq', 'Time', 'Actor', 'Action', 'Subject', 'Purpose', 'Outcome'],
        shown.map((e) => [String(e.seq), when(e.at), e.actor, e.action, e.subject || '-', e.purpose || '-',
          (e.outcome ?? '').startsWith('refused:') ? `Refused (${(e.outcome ?? '').slice(8)})` : e.outcome]),
        { id: 'audit', rowClass: (i) => ((shown[i].outcome ?? '').startsWith('ok') ? null : 'flag'), empty: 'No event matches.' }));
  };
  const loadPage = async (page: number) => {
    await attempt(status, async () => {
      const r = await load(ctx.api.GET('/v1/audit', { params: { query: { page, size: SIZE } } }));
      events = r.items ?? [];
      total = r.total ?? 0;
      pageInput.value = String(page);
      draw();
    });
  };
  const go = (page: number) => void loadPage(Math.min(Math.max(1, page), pages()));
  const nav = h('form', { class: 'inline', 'aria-label': 'Audit log pages' },
    button('First', () => go(1)), button('Previous', () => go(Number(pageInput.value) - 1)),
    field('audit-page', 'Page', pageInput), h('button', { type: 'submit' }, 'Go'),
    button('Next', () => go(Number(pageInput.value) + 1)), button('Newest', () => go(pages())));
  nav.addEventListener('submit', (ev) => { ev.preventDefault(); go(Number(pageInput.value)); });
  const filterForm = h('form', { class: 'inline', role: 'search', 'aria-label': 'Filter this page' },
    field('audit-filter', 'Filter this page', filter, 'Action, actor, subject, purpose or outcome contains'));
  filterForm.addEventListener('submit', (ev) => { ev.preventDefault(); draw(); });
  filter.addEventListener('input', draw);
  const verify = button('Verify the chain', () => void (async () => {
    say(verifyOut, 'info', 'Verifying the hash chain…');
    await attempt(verifyOut, async () => {
      const v = await load(ctx.api.GET('/v1/audit/verify'));
      if (v.intact) say(verifyOut, 'ok', `✓ The chain is intact: ${v.events} events verified.`);
      else say(verifyOut, 'error', `✗ The chain is broken at event #${v.first_broken_seq}: ${v.reason}`);
    });
  })(), { id: 'verify' });
  mount(main, ...heading('Audit log', 'Every read, search, refusal and change, hash-chained so an edit shows (REQ S6). Your reads are on it too.'),
    h('section', { 'aria-labelledby': 'h-verify' }, h('h2', { id: 'h-verify' }, 'Chain check'), verify, verifyOut),
    h('section', { 'aria-labelledby': 'h-events' }, h('h2', { id: 'h-events' }, 'Events'), nav, filterForm, status, out));
  // Newest page first: total is the newest seq, known after the first read.
  await loadPage(1);
  if (pages() > 1) await loadPage(pages());
}
