// The operator console in Debian's Chromium against a real `facegate serve` with data made
// through the REST API: each role (admin, operator, auditor) signs in with its own key and walks
// the pages it may use; the test asserts what each sees, that the pages hide what the role may
// not do (no page ever calls the server only to be refused), and that the server refuses it
// anyway. axe-core checks every page; screenshots go to FACEGATE_SHOTS (docs/ui.md).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { facedataPath, launchBrowser, seriousViolations, shot, startServer } from './harness.mjs';

const NOTICE_V1 = [
  'Processor: Example Co., 1 Example Road',
  'Contact: dpo@example.com',
  'Purpose: office entry',
  'Method: 1:1 comparison at the office door',
  'Data kinds: face template',
  'Storage period: 365 days, then deleted',
  'Why face: faster entry; impact: sensitive personal information',
  'Rights: withdraw at the kiosk at any time',
].join('\n');
const NOTICE_V2 = NOTICE_V1.replace('at the office door', 'at the office door and the lift') +
  '\nAlternatives: staff card at the front desk';

let server, browser;
const keys = {};           // role -> secret
const data = {};           // what the set-up made: ids the pages must show

async function must(call, status) {
  const r = await call;
  assert.equal(r.status, status, `${JSON.stringify(r.body)}`);
  return r.body;
}

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
  keys.admin = server.adminKey;
  const admin = server.api(keys.admin);
  keys.operator = (await must(admin.post('/v1/apikeys', { role: 'operator' }), 201)).secret;
  keys.auditor = (await must(admin.post('/v1/apikeys', { role: 'auditor' }), 201)).secret;

  await must(admin.post('/v1/purposes', { name: 'office-entry', retention_days: 365, alternatives: ['staff-card'] }), 201);
  await must(admin.post('/v1/purposes/office-entry/notices', { text: NOTICE_V1 }), 201);
  const v2 = await must(admin.post('/v1/purposes/office-entry/notices', { text: NOTICE_V2 }), 201);
  const noticeId = v2.notice_id;
  assert.ok(noticeId, JSON.stringify(v2));
  await must(admin.post('/v1/consents', { subject: 'S1', purpose: 'office-entry', notice_id: noticeId, option: 'always' }), 201);

  // S1 enrolled (the dashboard's one person with face data); S2 has no consent (a C1 refusal).
  const photo = readFileSync(facedataPath('lfw', 'Ai_Sugiyama', 'Ai_Sugiyama_0001.jpg'));
  const enrol = (subject) => {
    const f = new FormData();
    f.append('subject', subject);
    f.append('purpose', 'office-entry');
    f.append('image', new Blob([photo], { type: 'image/jpeg' }), 'face.jpg');
    return admin.post('/v1/enrol', f);
  };
  let first = await enrol('S1');
  if (first.body?.requirement === 'F1') {
    // Face processing waits for an approved impact assessment (REQ F1): write one, approve it.
    const made = JSON.parse(await server.cli('--json', '--actor', 'dpo-author', 'assessment', 'create', 'office-entry',
      '--lawfulness', 'staff consent, card offered', '--impact', 'templates of staff only'));
    const id = made.id ?? made.assessment?.id;
    await server.cli('--json', '--actor', 'dpo-approver', 'assessment', 'approve', String(id), '--approver', 'dpo-approver');
    first = await enrol('S1');
  }
  assert.equal(first.status, 201, JSON.stringify(first.body));
  const refused = await enrol('S2');
  assert.equal(refused.body?.requirement, 'C1', JSON.stringify(refused.body));

  await must(admin.post('/v1/subjects/S3/consents/office-entry/refuse'), 201);
  await must(admin.post('/v1/alternatives', { subject: 'S3', purpose: 'office-entry', method: 'staff-card' }), 201);
  data.rights = [
    (await must(admin.post('/v1/rights', { subject: 'S1', kind: 'access', note: 'asked at the front desk' }), 201)).request.id,
    (await must(admin.post('/v1/rights', { subject: 'S4', kind: 'deletion' }), 201)).request.id,
  ];
  const now = Math.floor(Date.now() / 1000);
  data.breach = (await must(admin.post('/v1/breaches', {
    description: 'a backup tape was lost in transit', cause: 'courier lost the parcel', harm: 'templates could be read',
    measures: 'subject keys rotated', advice: 'nothing to do: templates are sealed', contact: 'dpo@example.com',
    window_from: now - 86400, window_to: now, kinds: ['template'],  // S1's template is exposed
  }), 201)).breach.id;
  await must(admin.post('/v1/sites', {
    id: 'hq', name: 'Head office',
    zones: [{ id: 'street', type: 'public' }, { id: 'lobby', type: 'lobby' }, { id: 'office', type: 'office' }],
    passages: [{ id: 'main-door', from: 'street', to: 'lobby' }, { id: 'turnstiles', from: 'lobby', to: 'office' }],
    entrances: ['street'], destinations: ['office'],
    devices: [{ id: 'kiosk-1', mode: 'triggered', zone: 'lobby' }],
  }), 201);
  await must(admin.post('/v1/devices', { id: 'kiosk-1', site: 'hq', zone: 'lobby', purposes: ['office-entry'] }), 201);
  keys.device = (await must(admin.post('/v1/apikeys', { role: 'device', device: 'kiosk-1', purposes: ['office-entry'] }), 201)).secret;
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// A fresh browser context (its own sessionStorage) signed in with `key`; records every API
// answer the pages got, and the page's errors.
async function signIn(key, { expectShell = true } = {}) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1280, height: 900 });
  const calls = [], errors = [];
  page.on('response', (r) => {
    const u = new URL(r.url());
    if (u.pathname.startsWith('/v1/')) calls.push({ method: r.request().method(), path: u.pathname, status: r.status() });
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}/console/`, { waitUntil: 'networkidle0' });
  await page.type('#signin-key', key);
  await page.click('form.signin button[type=submit]');
  if (expectShell) await page.waitForSelector('main[data-ready="dashboard"]', { timeout: 20000 });
  return { page, context, calls, errors };
}

// Opens a console page by its route and waits until it has rendered.
async function open(s, route) {
  await s.page.evaluate((r) => { location.hash = `#/${r}`; }, route);
  await s.page.waitForSelector(`main[data-ready="${route}"]`, { timeout: 20000 });
}

const navRoutes = (s) => s.page.$$eval('nav a', (as) => as.map((a) => a.dataset.route));
const text = (s, sel) => s.page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());
// A table's body as text, a row a line and its cells joined by " | ".
const rows = (s, sel) => s.page.$eval(sel, (t) => [...t.querySelectorAll('tbody tr')]
  .map((tr) => [...tr.cells].map((c) => c.textContent.replace(/\s+/g, ' ').trim()).join(' | ')).join('\n'));
const exists = async (s, sel) => (await s.page.$(sel)) !== null;

async function checkAxe(s, what) {
  assert.deepEqual(await seriousViolations(s.page), [], `axe: serious or critical violations on ${what}`);
}

// A page the role may not use is neither in the navigation nor shown when typed in.
async function refusedInPage(s, route) {
  await s.page.evaluate((r) => { location.hash = `#/${r}`; }, route);
  await s.page.waitForFunction(() => document.getElementById('page-title')?.textContent === 'Not available');
  assert.match(await text(s, 'main'), /not available to role/);
}

// Nothing the pages asked was refused: they offer only what the role may do.
function noForbiddenCalls(s) {
  assert.deepEqual(s.calls.filter((c) => c.status === 403 || c.status === 401), []);
  assert.deepEqual(s.errors, []);
}

test('sign-in: a wrong key and a device key are turned away with a reason', async () => {
  const bad = await signIn('fgk_not-a-key', { expectShell: false });
  await bad.page.waitForFunction(() => /Error:/.test(document.getElementById('signin-status')?.textContent ?? ''));
  assert.match(await text(bad, '#signin-status'), /401/);
  await checkAxe(bad, 'the sign-in page');
  await shot(bad.page, 'console-signin');
  await bad.context.close();
  const device = await signIn(keys.device, { expectShell: false });
  await device.page.waitForFunction(() => /device key/.test(document.getElementById('signin-status')?.textContent ?? ''));
  assert.equal(await exists(device, 'nav'), false);
  await device.context.close();
});

test('admin: every page, the notice diff, a rights request done, the chain verified, a key made and revoked', async () => {
  const s = await signIn(keys.admin);
  assert.deepEqual(await navRoutes(s), ['dashboard', 'purposes', 'consents', 'rights', 'devices', 'audit', 'breaches', 'keys']);
  assert.equal(await text(s, '#role'), 'admin');

  // Dashboard: one person with face data against the 100,000 line; C1 refused; the alternative; two requests open.
  assert.equal(await text(s, '#people-count'), '1');
  assert.equal(await text(s, '#filing-line'), '100,000');
  assert.match(await rows(s, '#refusals'), /^C1 \| .+ \| [1-9]/m);
  assert.match(await rows(s, '#alternatives'), /^staff-card \| 0 \| 0 \| 1 \| 1$/m);
  assert.equal(await text(s, '#rights-open'), '2');
  assert.equal(await text(s, '#consent-refusals'), '1');
  await checkAxe(s, 'the dashboard');
  await shot(s.page, 'console-dashboard');

  // Purposes and notices: both versions, and the diff between them.
  await open(s, 'purposes');
  assert.match(await text(s, '#purposes'), /office-entry/);
  assert.equal((await s.page.$$('#versions tbody tr')).length, 2);
  await s.page.click('#show-diff');
  await s.page.waitForSelector('#diff');
  assert.match(await text(s, '#diff-summary'), /^2 lines added \(\+\), 1 line removed/);
  const added = await s.page.$$eval('#diff li.add', (li) => li.map((l) => l.textContent));
  const removed = await s.page.$$eval('#diff li.del', (li) => li.map((l) => l.textContent));
  assert.ok(added.some((t) => t.includes('and the lift')) && added.some((t) => t.includes('staff card')), added.join('|'));
  assert.ok(removed.some((t) => t.includes('office door') && !t.includes('lift')), removed.join('|'));
  assert.ok(await exists(s, '#publish'));
  await checkAxe(s, 'purposes and notices');
  await shot(s.page, 'console-purposes');

  // Consents: S1's consent, active, and its receipt.
  await open(s, 'consents');
  await s.page.type('#consent-subject', 'S1');
  await s.page.click('#lookup');
  await s.page.waitForSelector('#consents');
  assert.match(await rows(s, '#consents'), /^#\d+ \| office-entry \| Active \| Always allow \|/m);
  await s.page.click('#consents button[data-consent]');
  await s.page.waitForSelector('#receipt pre');
  assert.match(await text(s, '#receipt pre'), /office-entry/);
  await checkAxe(s, 'consents');
  await shot(s.page, 'console-consents');

  // Rights requests with their deadlines; one marked done from the page.
  await open(s, 'rights');
  assert.equal(await text(s, '#rights-total'), '2');
  assert.match(await rows(s, '#rights'), new RegExp(`^#${data.rights[1]} \\| S4 \\| deletion \\| .* \\| Open \\|`, 'm'));
  assert.ok(await exists(s, '#record'));
  const [first] = data.rights;
  await s.page.click(`button[aria-label="Complete request ${first}"]`);
  await s.page.type('#handle-text', 'copy handed over at the desk');
  await s.page.click('#handle-submit');
  await s.page.waitForFunction((id) => document.getElementById('rights-status')?.textContent === `Request #${id} marked done.`, {}, first);
  const done = await must(server.api(keys.admin).get(`/v1/rights/${first}`), 200);
  assert.equal((done.request ?? done).status, 'done', JSON.stringify(done));
  await checkAxe(s, 'rights requests');
  await shot(s.page, 'console-rights');

  // Devices and the site map.
  await open(s, 'devices');
  assert.match(await text(s, '#devices'), /kiosk-1/);
  assert.match(await rows(s, '#sites'), /^hq \| Head office \| ✓ Passes \|/m);
  await s.page.waitForFunction(() => document.getElementById('map-img')?.complete && document.getElementById('map-img').naturalWidth > 0);
  await checkAxe(s, 'devices and sites');
  await shot(s.page, 'console-devices');

  // Audit log: the chain verifies; the console's own reads are on it.
  await open(s, 'audit');
  await s.page.click('#verify');
  await s.page.waitForFunction(() => /intact/.test(document.getElementById('verify-result')?.textContent ?? ''));
  assert.match(await rows(s, '#audit'), /\| key:\S+ \| dashboard\.read \|/);
  await checkAxe(s, 'the audit log');
  await shot(s.page, 'console-audit');

  // Breaches: the one recorded, assessed from the page.
  await open(s, 'breaches');
  await s.page.click(`button[data-breach="${data.breach}"]`);
  await s.page.waitForSelector('#workflow');
  assert.match(await text(s, '#workflow'), /Recorded \(current\)/);
  await s.page.click('button[data-step="assess"]');
  await s.page.waitForFunction(() => /Affected people assessed \(current\)/.test(document.getElementById('workflow')?.textContent ?? ''));
  assert.match(await rows(s, '#affected'), /^S1 \| template \| -$/m);
  await checkAxe(s, 'breaches');
  await shot(s.page, 'console-breaches');

  // API keys: make an auditor key (its secret shown once), then revoke it.
  await open(s, 'keys');
  await s.page.select('#key-role', 'auditor');
  await s.page.click('#create-key');
  await s.page.waitForSelector('#new-secret');
  const secret = await text(s, '#new-secret');
  assert.match(secret, /^fgk_/);
  const me = await must(server.api(secret).get('/v1/me'), 200);
  assert.equal(me.role, 'auditor');
  await checkAxe(s, 'API keys');
  // The secret is shown once; hidden on request (and before the screenshot).
  await s.page.click('#secret-out button');
  assert.equal(await exists(s, '#new-secret'), false);
  await shot(s.page, 'console-keys');
  await s.page.click(`button[data-revoke="${me.id}"]`);
  await s.page.click(`button[data-confirm="${me.id}"]`);
  await s.page.waitForFunction((id) => document.getElementById('keys-status')?.textContent?.startsWith(`Revoked key ${id}`), {}, me.id);
  assert.equal((await server.api(secret).get('/v1/me')).status, 401);
  noForbiddenCalls(s);
  await s.context.close();
});

test('operator: purposes, consents and rights, but no audit log, breaches or keys', async () => {
  const s = await signIn(keys.operator);
  assert.deepEqual(await navRoutes(s), ['dashboard', 'purposes', 'consents', 'rights', 'devices']);
  assert.equal(await text(s, '#people-count'), '1');
  await checkAxe(s, 'the operator\'s dashboard');
  await open(s, 'purposes');
  assert.ok(await exists(s, '#publish'));
  await open(s, 'rights');
  assert.ok(await exists(s, '#record'));
  assert.ok(await exists(s, `button[aria-label="Complete request ${data.rights[1]}"]`));
  await open(s, 'devices');
  await checkAxe(s, 'the operator\'s devices');
  for (const route of ['audit', 'breaches', 'keys']) await refusedInPage(s, route);
  await checkAxe(s, 'a page not available');
  await shot(s.page, 'console-operator-not-available');
  noForbiddenCalls(s);
  await s.context.close();
  const api = server.api(keys.operator);
  assert.equal((await api.get('/v1/audit')).status, 403);
  assert.equal((await api.get('/v1/audit/verify')).status, 403);
  assert.equal((await api.get('/v1/breaches')).status, 403);
  assert.equal((await api.get('/v1/apikeys')).status, 403);
  assert.equal((await api.post('/v1/apikeys', { role: 'admin' })).status, 403);
});

test('auditor: reads the dashboard, rights, devices and the audit log, and changes nothing', async () => {
  const s = await signIn(keys.auditor);
  assert.deepEqual(await navRoutes(s), ['dashboard', 'rights', 'devices', 'audit']);
  assert.equal(await text(s, '#role'), 'auditor');
  assert.equal(await text(s, '#people-count'), '1');
  await shot(s.page, 'console-auditor-dashboard');

  // Rights requests, read only: no record form, no handle column or buttons.
  await open(s, 'rights');
  assert.equal(await text(s, '#rights-total'), '2');
  assert.equal(await exists(s, '#record'), false);
  assert.equal(await exists(s, '#rights button'), false);
  assert.ok(!(await s.page.$$eval('#rights thead th', (th) => th.map((t) => t.textContent))).includes('Handle'));
  await checkAxe(s, 'the auditor\'s rights requests');
  await shot(s.page, 'console-auditor-rights');

  await open(s, 'devices');
  assert.match(await text(s, '#devices'), /kiosk-1/);

  await open(s, 'audit');
  await s.page.click('#verify');
  await s.page.waitForFunction(() => /intact/.test(document.getElementById('verify-result')?.textContent ?? ''));
  await checkAxe(s, 'the auditor\'s audit log');
  await shot(s.page, 'console-auditor-audit');

  for (const route of ['purposes', 'consents', 'breaches', 'keys']) await refusedInPage(s, route);
  noForbiddenCalls(s);
  await s.context.close();

  // What the pages hide, the server refuses.
  const api = server.api(keys.auditor);
  const [open1] = data.rights.slice(1);
  assert.equal((await api.get('/v1/purposes')).status, 403);
  assert.equal((await api.post('/v1/purposes/office-entry/notices', { text: NOTICE_V1 })).status, 403);
  assert.equal((await api.get('/v1/purposes/office-entry/notices')).status, 403);
  assert.equal((await api.get('/v1/subjects/S1/consents')).status, 403);
  assert.equal((await api.post('/v1/rights', { subject: 'S9', kind: 'access' })).status, 403);
  assert.equal((await api.post(`/v1/rights/${open1}/complete`, { note: 'x' })).status, 403);
  assert.equal((await api.get('/v1/breaches')).status, 403);
  assert.equal((await api.post('/v1/apikeys', { role: 'admin' })).status, 403);
  assert.equal((await api.post('/v1/devices', { id: 'gate-9', site: 'hq', zone: 'lobby', purposes: ['office-entry'] })).status, 403);
  // ...and it left nothing changed: the request the auditor tried to complete is still open.
  const still = await must(server.api(keys.admin).get(`/v1/rights/${open1}`), 200);
  assert.equal((still.request ?? still).status, 'open');
});
