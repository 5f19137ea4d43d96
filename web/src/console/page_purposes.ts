// Purposes and notices: the declared purposes, every version of a purpose's notice
// (GET /v1/purposes/{name}/notices), a line diff between two versions (REQ N3: a changed notice
// is a new version), and publishing a new version (REQ N1; admin, operator).
import { h, mount } from '../common/dom';
import { diffLines, renderDiff } from './diff';
import { may } from './roles';
import { type Ctx, type Schemas, attempt, button, field, heading, load, say, select, statusRegion, table, when } from './ui';

export async function renderPurposes(ctx: Ctx, main: HTMLElement): Promise<void> {
  const list = await load(ctx.api.GET('/v1/purposes', { params: { query: { size: 500 } } }));
  const purposes = list.items ?? [];
  const detail = h('section', { id: 'notices', 'aria-labelledby': 'h-notices' });
  const status = statusRegion('purposes-status');
  const rows = purposes.map((p) => [
    p.name ?? '',
    p.scenario ?? '',
    `${p.retention_days ?? 0} days`,
    (p.alternatives ?? []).join(', ') || '(legal mandate)',
    button(`Notices of ${p.name}`, () => void showNotices(ctx, p.name ?? '', detail, status), { 'data-purpose': p.name ?? '' }),
  ]);
  mount(main, ...heading('Purposes and notices', 'Each purpose, its notice versions and what changed between them (REQ N1, N3).'),
    table('Declared purposes', ['Purpose', 'Scenario', 'Retention', 'Alternatives (REQ A1)', 'Notice'], rows, { id: 'purposes', empty: 'No purpose declared.' }),
    status, detail);
  if (purposes.length > 0) await showNotices(ctx, purposes[0].name ?? '', detail, status);
}

async function showNotices(ctx: Ctx, purpose: string, detail: HTMLElement, status: HTMLElement): Promise<void> {
  let versions: Schemas['NoticeVersion'][] = [];
  const ok = await attempt(status, async () => {
    versions = (await load(ctx.api.GET('/v1/purposes/{name}/notices', { params: { path: { name: purpose } } }))).items;
  });
  if (!ok) return;
  const diffOut = h('div', { id: 'diff-out', 'aria-live': 'polite' });
  const parts: (Node | null)[] = [
    h('h2', { id: 'h-notices' }, `Notice versions of ${purpose}`),
    table(`Notice versions of ${purpose}, oldest first`, ['Version', 'Published', 'SHA-256', 'In force'],
      versions.map((v) => [`v${v.version}`, when(v.published_at), h('code', {}, v.sha256.slice(0, 16) + '…'), v.in_force ? 'Yes (consents are given to it)' : 'No']),
      { id: 'versions', empty: 'No notice published: capture is refused until one is (REQ N1).' }),
  ];
  if (versions.length >= 2) {
    const opts: [string, string][] = versions.map((v) => [String(v.version), `Version ${v.version}`]);
    const from = select(opts, String(versions[versions.length - 2].version));
    const to = select(opts, String(versions[versions.length - 1].version));
    const form = h('form', { class: 'inline', 'aria-labelledby': 'h-compare' },
      h('h3', { id: 'h-compare' }, 'Compare two versions'),
      field('diff-from', 'From', from), field('diff-to', 'To', to),
      h('button', { type: 'submit', id: 'show-diff' }, 'Show the changes'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const a = versions.find((v) => String(v.version) === from.value)!;
      const b = versions.find((v) => String(v.version) === to.value)!;
      mount(diffOut, renderDiff(diffLines(a.text, b.text), a.version, b.version));
    });
    parts.push(form, diffOut);
  }
  if (may(ctx.me.role, 'purposes')) parts.push(publishForm(ctx, purpose, versions, detail, status));
  mount(detail, ...parts);
}

function publishForm(ctx: Ctx, purpose: string, versions: Schemas['NoticeVersion'][], detail: HTMLElement, status: HTMLElement): HTMLElement {
  const text = h('textarea', { rows: 10, cols: 70, required: true });
  text.value = versions.length ? versions[versions.length - 1].text : 'Processor: \nContact: \nPurpose: \nMethod: \nData kinds: \nStorage period: \nWhy face: \nRights: \n';
  const out = statusRegion('publish-status');
  const form = h('form', { 'aria-labelledby': 'h-publish' },
    h('h3', { id: 'h-publish' }, 'Publish a new version'),
    field('notice-text', 'Notice text', text, 'One line each for Processor:, Contact:, Purpose:, Method:, Data kinds:, Storage period:, Why face:, Rights: (REQ N1). A material change asks people for consent again (REQ N3).'),
    h('button', { type: 'submit', id: 'publish' }, 'Publish'), out);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const done = await attempt(out, async () => {
      const n = await load(ctx.api.POST('/v1/purposes/{name}/notices', { params: { path: { name: purpose } }, body: { text: text.value } }));
      say(status, 'ok', `Published version ${n.version} of the notice of ${purpose}.`);
    });
    if (done) await showNotices(ctx, purpose, detail, status);
  });
  return form;
}
