// Dashboard (GET /v1/dashboard): people with stored face data against the 100,000 filing line
// (REQ F2, Measures 15), refusals by requirement id, alternatives used (REQ A2, C6), refusals of
// consent (REQ C7) and the rights requests due and overdue (REQ R1).
import { h, mount } from '../common/dom';
import { type Ctx, heading, load, num, table, when } from './ui';

export async function renderDashboard(ctx: Ctx, main: HTMLElement): Promise<void> {
  const d = await load(ctx.api.GET('/v1/dashboard'));
  const share = d.filing_line > 0 ? d.people_with_face_data / d.filing_line : 0;
  const pct = (share * 100).toFixed(share < 0.01 ? 3 : 1);
  const bar = h('div', { class: 'bar', 'aria-hidden': 'true' }, h('div', { class: 'bar-fill' }));
  (bar.firstChild as HTMLElement).style.width = `${Math.min(100, Math.max(share * 100, d.people_with_face_data > 0 ? 0.5 : 0))}%`;
  const filing = h('section', { 'aria-labelledby': 'h-filing' },
    h('h2', { id: 'h-filing' }, 'People with stored face data'),
    h('p', { class: 'big' },
      h('span', { id: 'people-count' }, num(d.people_with_face_data)), ' of ',
      h('span', { id: 'filing-line' }, num(d.filing_line)), ` people (${pct}% of the filing line)`),
    bar,
    h('p', { class: d.filing_line_reached ? 'status error' : 'hint' },
      d.filing_line_reached
        ? 'The filing line is reached: file with the provincial cyberspace administration within 30 working days (REQ F2, Measures 15).'
        : 'Distinct people holding at least one template, any purpose. Filing with the provincial cyberspace administration is due within 30 working days of reaching 100,000 (REQ F2, Measures 15).'));
  const refusals = h('section', { 'aria-labelledby': 'h-refusals' },
    h('h2', { id: 'h-refusals' }, 'Refusals by requirement'),
    table('Refusals by the compliance core, from the audit log', ['Requirement', 'Rule', 'Refusals'],
      d.refusals.map((r) => [r.requirement, r.rule, num(r.count)]), { id: 'refusals', empty: 'No refusals recorded.' }),
    h('p', {}, 'People who refused consent (quiet period, REQ C7): ', h('strong', { id: 'consent-refusals' }, num(d.consent_refusals))));
  const alternatives = h('section', { 'aria-labelledby': 'h-alts' },
    h('h2', { id: 'h-alts' }, 'Alternatives used'),
    table('Face-free transactions by method (REQ A2, C6)', ['Method', 'Granted', 'Denied', 'Open', 'Total'],
      d.alternatives.map((a) => [a.method, num(a.granted), num(a.denied), num(a.open), num(a.total)]),
      { id: 'alternatives', empty: 'No alternative has been used yet.' }));
  const r = d.rights;
  const rights = h('section', { 'aria-labelledby': 'h-rights' },
    h('h2', { id: 'h-rights' }, 'Rights requests due'),
    h('ul', { class: 'counts' },
      h('li', {}, h('strong', { id: 'rights-open' }, num(r.open)), ' open'),
      h('li', { class: r.overdue > 0 ? 'overdue' : null }, h('strong', { id: 'rights-overdue' }, num(r.overdue)), ' overdue'),
      h('li', {}, h('strong', { id: 'rights-due-soon' }, num(r.due_soon)), ' due within 3 days')),
    table('Open requests, soonest deadline first (REQ R1)', ['Request', 'Subject', 'Kind', 'Due', 'State'],
      r.due.map((q) => [`#${q.id}`, q.subject, q.kind, when(q.due_at), q.overdue ? '⚠ Overdue' : 'Due']),
      { id: 'rights-due', rowClass: (i) => (r.due[i].overdue ? 'overdue' : null), empty: 'No open request.' }));
  mount(main, ...heading('Dashboard', `Counts from the store at ${when(d.at)}; nothing here names a person but the pseudonymous subject of a request that is due.`),
    h('div', { class: 'grid' }, filing, rights, refusals, alternatives));
}
