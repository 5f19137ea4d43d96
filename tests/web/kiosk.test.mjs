// The consent kiosk in Debian's Chromium against a real `facegate serve` (real models, SQLite),
// on a device key bound to a registered, live kiosk device (docs/ui.md, "Kiosk"):
//   - the whole flow: notice (N1) with large print and voice (N2) -> separate consent with
//     nothing ticked (C1, C5) -> the tap opens an enrolling capture (D1) -> Chromium's fake
//     camera, fed from a facedata photo, enrols the person -> a second capture verifies them;
//   - the refusal flow: "no" starts the quiet period, and the kiosk does not ask again (C7);
//   - the alternative flow: the camera is never opened (getUserMedia never called; A2, D7);
//   - a photo upload where there is no camera;
//   - withdrawal in one step with the receipt (C2, C4);
//   - the page in Chinese (the default) and the switch to English.
// axe-core finds no serious or critical violation on any screen; each screen is photographed
// into FACEGATE_SHOTS; the first screen's time to interactive is printed.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { facedataPath, launchBrowser, seriousViolations, shot, startServer } from './harness.mjs';

const PURPOSE = 'office-entry';
const DEVICE = 'kiosk-1';
const PHOTO = facedataPath('lfw', 'Alan_Greenspan', 'Alan_Greenspan_0001.jpg');
const NOTICE = [
  'Processor: Example Co.', 'Contact: dpo@example.com', 'Purpose: office entry',
  'Method: 1:1 at the kiosk and the office door', 'Data kinds: face template',
  'Storage period: 365 days, then deleted', 'Why face: faster entry; impact: sensitive data',
  'Rights: withdraw any time at the kiosk',
].join('\n') + '\n';

const T = { timeout: 180000 };  // no test hangs the suite
let server, admin, deviceKey, camera, noCamera, tmp;

before(async () => {
  server = await startServer();
  admin = server.api(server.adminKey);
  const ok = (r, status = [200, 201]) => {
    assert.ok(status.includes(r.status), JSON.stringify(r.body));
    return r.body;
  };
  ok(await admin.post('/v1/purposes', { name: PURPOSE, scenario: 'verification', retention_days: 365,
                                        alternatives: ['staff-card'], device_enrolment: true }));
  ok(await admin.post(`/v1/purposes/${PURPOSE}/notices`, { text: NOTICE }));
  // REQ F1: face processing for the purpose waits for an approved impact assessment.
  const pia = ok(await admin.post('/v1/assessments', {
    target: PURPOSE, author: 'kiosk-test-author', scope_size: 1000,
    lawfulness: 'consent of each person; face is one way in among others',
    impact: 'sensitive data of the people enrolled; risks: leak, misidentification' }));
  ok(await admin.post(`/v1/assessments/${pia.id}/approve`, { approver: 'kiosk-test-dpo' }));
  ok(await admin.post('/v1/devices', { id: DEVICE, name: 'Enrolment desk kiosk', purposes: [PURPOSE],
                                       location_type: 'lobby', capture_timeout_s: 60 }));
  ok(await admin.post(`/v1/devices/${DEVICE}/live`, {}));
  deviceKey = (await server.cli('apikey', 'create', '--role', 'device', '--device', DEVICE,
                                '--purpose', PURPOSE)).match(/fgk_[A-Za-z0-9_-]+/)[0];
  // Chromium's fake camera plays an MJPEG file: a stream of JPEG frames, made here from a
  // facedata photo (nothing of facedata is copied into the source tree).
  tmp = mkdtempSync(join(tmpdir(), 'fg-kiosk-'));
  const jpeg = readFileSync(PHOTO);
  const mjpeg = join(tmp, 'face.mjpeg');
  writeFileSync(mjpeg, Buffer.concat([jpeg, jpeg, jpeg]));
  camera = await launchBrowser(['--use-fake-ui-for-media-stream', '--use-fake-device-for-media-stream',
                                `--use-file-for-fake-video-capture=${mjpeg}`]);
  noCamera = await launchBrowser();
});

after(async () => {
  await camera?.close();
  await noCamera?.close();
  await server?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// A kiosk page on the device key; getUserMedia is wrapped to count its calls and to keep the
// streams it gave, so a test can see whether the camera was opened and whether it was stopped.
async function openKiosk(browser, { lang = 'en' } = {}) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1024, height: 900 });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.evaluateOnNewDocument((l) => {
    sessionStorage.setItem('facegate.kiosk.lang', l);
    window.__gum = { calls: 0, streams: [] };
    const md = navigator.mediaDevices;
    if (md && md.getUserMedia) {
      const real = md.getUserMedia.bind(md);
      md.getUserMedia = async (c) => {
        window.__gum.calls += 1;
        const s = await real(c);
        window.__gum.streams.push(s);
        return s;
      };
    }
  }, lang);
  await page.goto(`${server.url}/kiosk/#key=${deviceKey}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-action=verify]');
  return { page, errors };
}

const title = (page) => page.$eval('#screen-title', (e) => e.textContent);
const mainText = (page) => page.$eval('main', (e) => e.innerText);
const click = (page, action) => page.click(`[data-action="${action}"]`);
const gumCalls = (page) => page.evaluate(() => window.__gum.calls);

async function checkScreen(page, name) {
  assert.deepEqual(await seriousViolations(page), [], `axe on ${name}`);
  await shot(page, name);
}

// "Use another method" is there and at least as large as the screen's main button (REQ A3).
async function alternativeAsVisible(page, mainSelector) {
  const alt = await (await page.$('[data-action=alternative]')).boundingBox();
  const main = await (await page.$(mainSelector)).boundingBox();
  assert.ok(alt && main, 'both buttons are shown');
  assert.ok(alt.height >= main.height - 1, `alternative height ${alt.height} vs ${main.height}`);
  assert.ok(alt.width * alt.height >= 0.9 * main.width * main.height, 'alternative as large as the face button');
}

async function start(page, subject, action) {
  await page.waitForSelector('#subject');  // the start screen is drawn once the notice is loaded
  await page.click('#subject', { clickCount: 3 });
  await page.type('#subject', subject);
  await click(page, action);
}

async function subjectConsents(subject) {
  const r = await admin.get(`/v1/subjects/${subject}/consents`);
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return r.body.items ?? r.body.consents ?? [];
}

// The audit events about one subject (the whole log, read page by page from a cursor).
async function auditOf(subject) {
  // Each read is itself audited, so read up to the newest event as of the first page only.
  const events = [];
  let newest = Infinity;
  for (let after = 0; after < newest;) {
    const r = await admin.get(`/v1/audit?after=${after}&size=100`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    if (newest === Infinity) newest = r.body.total;
    if (!r.body.items.length) break;
    events.push(...r.body.items);
    after = r.body.items[r.body.items.length - 1].seq;
  }
  return events.filter((e) => e.subject === subject);
}

test('first screen: Chinese by default, interactive time printed, switch to English', T, async () => {
  const page = await noCamera.newPage();
  await page.setViewport({ width: 1024, height: 900 });
  await page.goto(`${server.url}/kiosk/#key=${deviceKey}`, { waitUntil: 'domcontentloaded' });
  await page.waitForSelector('[data-action=verify]');
  const ms = Number(await page.$eval('body', (b) => b.dataset.interactiveMs));
  assert.ok(ms > 0);
  console.log(`kiosk first screen interactive ${ms} ms after navigation start (2-core machine, not asserted)`);
  assert.equal(await page.$eval('html', (e) => e.lang), 'zh-CN');
  assert.equal(await title(page), '您好');
  assert.ok(!page.url().includes('fgk_'), 'the key leaves the address bar');
  assert.match(await mainText(page), /使用其他方式/);
  await alternativeAsVisible(page, '[data-action=verify]');
  await checkScreen(page, 'kiosk-01-start-zh');
  await click(page, 'lang');
  await page.waitForFunction(() => document.querySelector('#screen-title')?.textContent === 'Welcome');
  assert.equal(await page.$eval('html', (e) => e.lang), 'en');
  await checkScreen(page, 'kiosk-02-start-en');
  await page.close();
});

test('the notice and the consent in Chinese', T, async () => {
  const { page, errors } = await openKiosk(noCamera, { lang: 'zh' });
  await start(page, 'S9', 'verify');
  await page.waitForSelector('[data-action=acknowledge]');
  assert.match(await title(page), /告知书/);
  const text = await mainText(page);
  for (const s of ['用途', '方式', '保存期限', '其他方式：员工卡']) assert.ok(text.includes(s), `notice shows ${s}`);
  await checkScreen(page, 'kiosk-03-notice-zh');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=yes]');
  const consent = await mainText(page);
  for (const s of ['仅本次', '使用期间允许', '始终允许', '365 天', '不同意']) assert.ok(consent.includes(s), `consent shows ${s}`);
  await checkScreen(page, 'kiosk-04-consent-zh');
  assert.deepEqual(errors, []);
  await page.close();
});

test('whole flow: notice, large print, voice, separate consent, camera enrols, camera verifies', T, async () => {
  const { page, errors } = await openKiosk(camera);
  await start(page, 'S1', 'enrol');
  // REQ N1: the notice first, with purpose, method, storage period and the alternative.
  await page.waitForSelector('[data-action=acknowledge]');
  const notice = await mainText(page);
  for (const s of ['Purpose', 'Method', 'Storage period', '365 days', 'Other methods: staff card'])
    assert.ok(notice.includes(s), `notice shows ${s}`);
  assert.equal(await gumCalls(page), 0, 'no camera before the consent');
  await alternativeAsVisible(page, '[data-action=acknowledge]');
  await checkScreen(page, 'kiosk-05-notice');
  // REQ N2: large print (the API's large-print form) and the voice form.
  await click(page, 'large-print');
  await page.waitForSelector('.notice.large');
  assert.equal(await page.$eval('body', (b) => b.classList.contains('large-print')), true);
  const big = await page.$eval('.notice.large', (e) => parseFloat(getComputedStyle(e).fontSize));
  assert.ok(big >= 26, `large print is large (${big}px)`);
  await click(page, 'voice');
  await page.waitForSelector('.voice-text');
  assert.match(await page.$eval('.voice-text', (e) => e.textContent), /office entry/);
  await checkScreen(page, 'kiosk-06-notice-large-voice');
  // REQ C1, C5: a separate consent, nothing ticked, every option's expiry written out.
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=yes]');
  assert.equal(await page.$$eval('input[type=radio]:checked', (l) => l.length), 0, 'nothing pre-ticked');
  assert.equal(await page.$$eval('input[type=checkbox]', (l) => l.length), 0, 'no bundled terms');
  const consent = await mainText(page);
  for (const s of ['Only this time', 'valid for 24 hours', 'Allow while in use', 'at most 60 seconds',
                   'Always allow', 'at most 365 days']) assert.ok(consent.includes(s), `consent shows ${s}`);
  const yes = await (await page.$('[data-action=yes]')).boundingBox();
  const no = await (await page.$('[data-action=no]')).boundingBox();
  assert.ok(Math.abs(yes.width - no.width) <= 1 && Math.abs(yes.height - no.height) <= 1,
            `"no" as large as "yes": ${JSON.stringify({ yes, no })}`);
  await alternativeAsVisible(page, '[data-action=yes]');
  await checkScreen(page, 'kiosk-07-consent');
  await click(page, 'yes');  // nothing chosen: asked to choose, nothing recorded
  await page.waitForFunction(() => /choose one option/.test(document.querySelector('main').innerText));
  assert.equal((await subjectConsents('S1')).length, 0);
  await page.click('#opt-always');
  // REQ D1: the tap on "yes" records the consent and opens the capture; the camera opens then.
  await click(page, 'yes');
  await page.waitForSelector('video.camera');
  await page.waitForFunction(() => window.__gum.calls > 0);
  await page.waitForFunction(() => document.querySelector('video.camera')?.videoWidth > 0 ||
                                   document.querySelector('[data-result]'));
  await checkScreen(page, 'kiosk-08-capture');
  await page.waitForSelector('[data-result=enrolled]', { timeout: 45000 });
  const enrolled = await mainText(page);
  assert.match(enrolled, /What the result rested on/);
  assert.match(enrolled, /Photo quality\s+(good|fair)/);
  assert.match(enrolled, /Template deleted at the latest/);
  assert.ok(await page.evaluate(() => window.__gum.streams.every((s) => s.getTracks().every((t) => t.readyState === 'ended'))),
            'the camera stopped with the result (REQ D1)');
  await checkScreen(page, 'kiosk-09-enrolled');
  const given = await subjectConsents('S1');
  assert.equal(given.length, 1);
  assert.equal(given[0].option, 'always');
  assert.equal(given[0].method, 'click');
  // A second tap, a second capture: the same camera verifies the person just enrolled.
  await click(page, 'verify-now');
  await page.waitForSelector('[data-result=match]', { timeout: 45000 });
  assert.match(await mainText(page), /Decision\s+match/);
  assert.ok(await gumCalls(page) >= 2);
  await checkScreen(page, 'kiosk-10-verified');
  assert.deepEqual(errors, []);
  await page.close();
});

test('no camera: the person uploads a photo in the capture opened by their tap', T, async () => {
  const { page, errors } = await openKiosk(noCamera);
  await start(page, 'S1', 'verify');
  await page.waitForSelector('[data-action=acknowledge]');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=yes]');
  await page.click('#opt-once');
  await click(page, 'yes');
  await page.waitForSelector('#upload');
  await page.waitForFunction(() => /camera cannot be opened/.test(document.querySelector('main').innerText));
  await (await page.$('#upload')).uploadFile(facedataPath('lfw', 'Alan_Greenspan', 'Alan_Greenspan_0002.jpg'));
  await page.waitForSelector('[data-result=match]', { timeout: 45000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('live hint: a face too dark to enrol asks for more light, and the same capture goes on', T, async () => {
  const { page, errors } = await openKiosk(noCamera);
  // The photo as in a dim room, made in the page (canvas brightness 24%), written for the upload.
  const dim = await page.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/jpeg;base64,${b64}`;
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.width;
    c.height = img.height;
    const ctx = c.getContext('2d');
    ctx.filter = 'brightness(24%)';
    ctx.drawImage(img, 0, 0);
    return c.toDataURL('image/jpeg', 0.95).split(',')[1];
  }, readFileSync(PHOTO).toString('base64'));
  const dimPath = join(tmp, 'dim.jpg');
  writeFileSync(dimPath, Buffer.from(dim, 'base64'));
  await start(page, 'S6', 'enrol');
  await page.waitForSelector('[data-action=acknowledge]');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=yes]');
  await page.click('#opt-always');
  await click(page, 'yes');
  await page.waitForSelector('#upload');
  await (await page.$('#upload')).uploadFile(dimPath);
  await page.waitForSelector('[data-hint=retake]', { timeout: 45000 });
  assert.match(await page.$eval('[data-hint]', (e) => e.textContent), /light/);
  await checkScreen(page, 'kiosk-16-hint');
  await (await page.$('#upload')).uploadFile(PHOTO);
  await page.waitForSelector('[data-result=enrolled]', { timeout: 45000 });
  assert.deepEqual(errors, []);
  await page.close();
});

test('refusal: "no" records the refusal, starts the quiet period, and the kiosk does not ask again', T, async () => {
  const { page, errors } = await openKiosk(noCamera);
  await start(page, 'S3', 'verify');
  await page.waitForSelector('[data-action=acknowledge]');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=no]');
  await click(page, 'no');
  await page.waitForSelector('[data-result=refused]');
  assert.match(await mainText(page), /will not ask you again before/);
  assert.equal(await gumCalls(page), 0);
  await alternativeAsVisible(page, '[data-action=done]');
  await checkScreen(page, 'kiosk-11-refused');
  const may = await admin.get(`/v1/subjects/S3/consents/${PURPOSE}/may-ask`);
  assert.equal(may.body.may_ask, false, JSON.stringify(may.body));
  assert.equal((await subjectConsents('S3')).length, 0);
  // The same person again: the quiet screen instead of the question (REQ C7).
  await click(page, 'done');
  await start(page, 'S3', 'verify');
  await page.waitForSelector('[data-action=acknowledge]');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=consent-anyway]');
  assert.equal(await page.$('[data-action=yes]'), null);
  await checkScreen(page, 'kiosk-12-quiet');
  assert.deepEqual(errors, []);
  await page.close();
});

test('another method: the face-free path, the camera never opened', T, async () => {
  const { page, errors } = await openKiosk(camera);  // a camera is there, and stays unused
  await start(page, 'S4', 'verify');
  await page.waitForSelector('[data-action=acknowledge]');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=yes]');
  await click(page, 'alternative');
  await page.waitForSelector('[data-result=alternative]');
  assert.match(await mainText(page), /camera stays off/);
  assert.match(await mainText(page), /staff card/);
  await checkScreen(page, 'kiosk-13-alternative');
  assert.equal(await gumCalls(page), 0, 'getUserMedia never called (REQ A2, D7)');
  assert.equal(await page.$('video'), null);
  const actions = (await auditOf('S4')).map((e) => e.action);
  assert.ok(actions.some((a) => /alternative/.test(a)), `an alternative transaction: ${actions}`);
  assert.ok(!actions.some((a) => /capture|verify|enrol|consent.give/.test(a)), `nothing face: ${actions}`);
  assert.deepEqual(errors, []);
  await page.close();
});

test('another method during a capture: the capture turns face-free', T, async () => {
  // No camera here, so no frame can end the capture before the person's choice.
  const { page, errors } = await openKiosk(noCamera);
  await start(page, 'S7', 'verify');
  await page.waitForSelector('[data-action=acknowledge]');
  await click(page, 'acknowledge');
  await page.waitForSelector('[data-action=yes]');
  await page.click('#opt-once');
  await click(page, 'yes');
  await page.waitForFunction(() => /camera cannot be opened/.test(document.querySelector('main').innerText));
  await click(page, 'alternative');
  await page.waitForSelector('[data-result=alternative]');
  const events = await auditOf('S7');
  const chosen = events.find((e) => e.action === 'capture.alternative');
  assert.ok(chosen, `the capture's alternative is on record: ${events.map((e) => e.action)}`);
  const session = await admin.get(`/v1/sessions/${chosen.detail.capture_session}`);
  assert.equal(session.status, 200, JSON.stringify(session.body));
  assert.equal(session.body.session.face_free, true);
  assert.deepEqual(errors, []);
  await page.close();
});

test('withdrawal in one step at the kiosk, with the receipt', T, async () => {
  // S5 consented and was enrolled at the desk (by an operator, through the API).
  const notice = (await admin.get(`/v1/purposes/${PURPOSE}/notice`)).body;
  const given = await admin.post('/v1/consents', { subject: 'S5', purpose: PURPOSE, notice_id: notice.notice_id,
                                                   option: 'always', method: 'click' });
  assert.equal(given.status, 201, JSON.stringify(given.body));
  const enrol = await admin.post('/v1/enrol', { subject: 'S5', purpose: PURPOSE,
    image_base64: readFileSync(facedataPath('lfw', 'Alan_Greenspan', 'Alan_Greenspan_0003.jpg')).toString('base64') });
  assert.equal(enrol.status, 201, JSON.stringify(enrol.body));
  const { page, errors } = await openKiosk(noCamera);
  await start(page, 'S5', 'withdraw');
  await page.waitForSelector('[data-action=withdraw-now]');
  await alternativeAsVisible(page, '[data-action=withdraw-now]');
  await checkScreen(page, 'kiosk-14-withdraw');
  await click(page, 'withdraw-now');  // the one step (REQ C4)
  await page.waitForSelector('[data-result=withdrawn]');
  const text = await mainText(page);
  assert.match(text, /1 consent\(s\) withdrawn, 1 face template\(s\) deleted/);
  assert.match(text, /Consent receipt/);
  assert.match(text, /Withdrawn at\s+\S/);
  assert.doesNotMatch(text, /Withdrawn at\s+none/);
  assert.match(text, /Your id\s+S5/);
  await checkScreen(page, 'kiosk-15-withdrawn');
  const after = await subjectConsents('S5');
  assert.ok(after[0].withdrawn_at, JSON.stringify(after[0]));
  assert.equal(await gumCalls(page), 0);
  assert.deepEqual(errors, []);
  await page.close();
});
