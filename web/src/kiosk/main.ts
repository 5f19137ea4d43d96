// The consent kiosk (docs/ui.md, "Kiosk"): the person's side of facegate, on a device key bound
// to a kiosk device. Notice first (REQ N1, N2, A3), then a separate consent with nothing ticked
// (C1, C5), refusal with its quiet period (C7), capture only after the person's tap (D1),
// "use another method" on every screen with the camera never opened (A2, D7), and withdrawal in
// one step with the receipt (C2, C4). Every call goes through the typed client (common/api.ts).
import { type Api, type ApiError, apiClient, asApiError } from '../common/api';
import { h, mount } from '../common/dom';
import { Capture, type CaptureEnd, type FrameAnswer } from './capture';
import { type Key, formatTime, lang, setLang, t, tMaybe } from './i18n';

type Action = 'enrol' | 'match';

interface Notice {
  notice_id?: number;
  version?: number;
  text?: string;
  alternatives?: string[];
  retention_days?: number;
  device_enrolment?: boolean;
  scenario?: string;
}

// What the kiosk knows of the person in front of it; cleared on "Done" (nothing lingers).
const state = {
  api: null as Api | null,
  device: '',
  purposes: [] as string[],
  subject: '',
  purpose: '',
  notice: null as Notice | null,
  action: 'match' as Action,
  option: '' as '' | 'once' | 'while_in_use' | 'always',
  prompted: true,
  consentId: 0,
  capture: null as Capture | null,
  session: '',
  redraw: () => {},
};

const app = document.getElementById('app')!;
const bar = document.getElementById('bar')!;
const KEY = 'facegate.kiosk.key';
const LANG = 'facegate.kiosk.lang';

// ---- small builders ----

function button(label: string, onclick: () => void, cls = 'big', extra: Record<string, string> = {}) {
  return h('button', { type: 'button', class: cls, onclick: () => onclick(), ...extra }, label);
}

// "Use another method": the same size and weight as the face buttons, on every screen (REQ A3).
function otherMethodButton() {
  return button(t('otherMethod'), () => void chooseAlternative(), 'big alt', { 'data-action': 'alternative' });
}

function screen(title: string, ...body: (Node | string | null | false)[]) {
  const h2 = h('h2', { tabindex: '-1', id: 'screen-title' }, title);
  mount(app, h2, ...body);
  h2.focus();
}

function fields(rows: [string, string][]) {
  const dl = h('dl', { class: 'fields' });
  for (const [k, v] of rows) dl.append(h('dt', {}, k), h('dd', {}, v));
  return dl;
}

function altName(method: string): string {
  return tMaybe(`alt_${method}`) ?? method;
}

// An API error in plain words, with its requirement id, and always the way out (REQ A1, A3).
function showError(e: ApiError) {
  stopCapture();
  screen(t('errorTitle'),
         h('p', { class: 'error' }, e.message),
         e.requirement ? h('p', {}, t('errorRule', { id: e.requirement + (e.rule ? ` · ${e.rule}` : '') })) : null,
         h('div', { class: 'actions' }, otherMethodButton(), button(t('startOver'), () => reset(), 'big secondary')));
}

async function call<T>(p: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T | null> {
  try {
    const { data, error, response } = await p;
    if (error || data === undefined) {
      showError(asApiError(error, response.status));
      return null;
    }
    return data;
  } catch {
    showError({ error: 'network', message: t('errorNetwork') });
    return null;
  }
}

// ---- the bar: title, device, language switch ----

function drawBar() {
  const other = lang() === 'zh' ? 'en' : 'zh';
  mount(bar,
        h('h1', {}, t('title')),
        state.device ? h('p', { class: 'device' }, t('device', { device: state.device })) : null,
        h('button', { type: 'button', class: 'lang', lang: other === 'en' ? 'en' : 'zh-CN', 'aria-label': t('switchLabel'),
                      'data-action': 'lang', onclick: () => switchLang(other) }, t('switchTo')));
}

function switchLang(l: 'zh' | 'en') {
  setLang(l);
  sessionStorage.setItem(LANG, l);
  drawBar();
  state.redraw();
}

// ---- set-up: the device key (from #key=..., moved out of the address bar at once) ----

function keyFromFragment(): string | null {
  const m = location.hash.match(/key=(fgk_[A-Za-z0-9_-]+)/);
  if (!m) return null;
  // The fragment never reached the server; it leaves the address bar and history now.
  history.replaceState(null, '', location.pathname + location.search);
  return m[1];
}

function setupScreen(problem = '') {
  state.redraw = () => setupScreen(problem);
  const input = h('input', { id: 'key', type: 'password', autocomplete: 'off', spellcheck: 'false', required: true });
  screen(t('setupTitle'),
         h('p', {}, t('setupText')),
         h('form', { class: 'stack', onsubmit: (ev: Event) => {
           ev.preventDefault();
           const k = input.value.trim();
           if (k) void useKey(k);
         } },
           h('label', { for: 'key' }, t('keyLabel')), input,
           problem ? h('p', { class: 'error', role: 'alert' }, problem) : null,
           h('button', { type: 'submit', class: 'big' }, t('save'))));
}

async function useKey(key: string) {
  const api = apiClient(key);
  let me: { role: string; device?: string; purposes?: string[] };
  try {
    const r = await api.GET('/v1/me');
    if (r.error || !r.data) {
      sessionStorage.removeItem(KEY);
      return setupScreen(asApiError(r.error, r.response.status).message);
    }
    me = r.data;
  } catch {
    return setupScreen(t('errorNetwork'));
  }
  if (me.role !== 'device' || !me.device) {
    sessionStorage.removeItem(KEY);
    return setupScreen(t('keyWrongRole', { role: me.role }));
  }
  sessionStorage.setItem(KEY, key);
  state.api = api;
  state.device = me.device;
  state.purposes = me.purposes ?? [];
  state.purpose = state.purposes[0] ?? '';
  drawBar();
  await startScreen();
}

// ---- start: who, which purpose, what to do ----

async function loadNotice(purpose: string): Promise<Notice | null> {
  if (!state.api) return null;
  return call(state.api.GET('/v1/purposes/{name}/notice', { params: { path: { name: purpose } } }));
}

function readSubject(input: HTMLInputElement, msg: HTMLElement): boolean {
  state.subject = input.value.trim();
  if (!state.subject) {
    msg.textContent = t('needSubject');
    input.focus();
    return false;
  }
  return true;
}

async function startScreen() {
  stopCapture();
  state.notice = state.purpose ? await loadNotice(state.purpose) : null;
  if (state.purpose && !state.notice) return;  // the error screen is up
  state.redraw = () => void startScreen();
  const input = h('input', { id: 'subject', type: 'text', autocomplete: 'off', inputmode: 'text',
                             placeholder: t('subjectHint'), value: state.subject });
  const msg = h('p', { class: 'error', role: 'alert' });
  const go = (action: Action) => () => {
    if (!readSubject(input, msg)) return;
    state.action = action;
    state.prompted = true;
    noticeScreen();
  };
  const select = state.purposes.length > 1
    ? h('select', { id: 'purpose', onchange: (ev: Event) => {
      state.purpose = (ev.target as HTMLSelectElement).value;
      state.subject = input.value.trim();
      void startScreen();
    } }, ...state.purposes.map((p) => h('option', { value: p, selected: p === state.purpose }, p)))
    : null;
  screen(t('startTitle'),
         h('p', {}, t('startText')),
         h('div', { class: 'stack' },
           h('label', { for: 'subject' }, t('subjectLabel')), input,
           select ? h('label', { for: 'purpose' }, t('purposeLabel')) : null, select,
           select ? null : h('p', {}, `${t('purposeLabel')}: ${state.purpose}`)),
         msg,
         h('div', { class: 'actions' },
           button(t('verifyFace'), go('match'), 'big', { 'data-action': 'verify' }),
           state.notice?.device_enrolment ? button(t('enrolFace'), go('enrol'), 'big', { 'data-action': 'enrol' }) : null,
           h('button', { type: 'button', class: 'big alt', 'data-action': 'alternative',
                         onclick: () => { if (readSubject(input, msg)) void chooseAlternative(); } }, t('otherMethod'))),
         h('div', { class: 'actions' },
           button(t('withdrawStart'), () => { if (readSubject(input, msg)) withdrawScreen(); }, 'big secondary',
                  { 'data-action': 'withdraw' })));
  // The first screen is usable now: the browser test reads this (docs/ui.md, first interactive).
  if (!document.body.dataset.interactiveMs) {
    document.body.dataset.interactiveMs = performance.now().toFixed(0);
    performance.mark('kiosk-interactive');
  }
}

// ---- the notice (REQ N1, N2, A3) ----

// "Field: value" lines of the notice (also with a full-width colon); headings and other lines as text.
function noticeBody(text: string, alternatives: string[]) {
  const box = h('div', { class: 'notice', lang: /[\u4e00-\u9fff]/.test(text) ? 'zh-CN' : 'en' });
  const dl = h('dl', { class: 'fields' });
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    if (line.startsWith('#')) {
      box.append(h('h3', {}, line.replace(/^#+\s*/, '')));
      continue;
    }
    const m = line.match(/^([^:：]{1,40})[:：]\s*(.*)$/);
    if (m) {
      const label = tMaybe(`field_${m[1].toLowerCase()}`);
      dl.append(h('dt', {}, label ? `${label} (${m[1]})` : m[1]), h('dd', {}, m[2]));
    } else {
      box.append(h('p', {}, line));
    }
  }
  box.append(dl);
  if (alternatives.length)
    box.append(h('p', { class: 'alternatives' }, t('alternativesAre', { list: alternatives.map(altName).join('、') })));
  return box;
}

// The API's large-print form (an HTML page) read as text only: its paragraphs, never its markup.
function largePrintBody(html: string) {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  const box = h('div', { class: 'notice large', lang: doc.documentElement.lang || 'en' });
  for (const p of Array.from(doc.querySelectorAll('h1, p'))) {
    const strong = p.querySelector('strong');
    if (p.tagName === 'H1') box.append(h('h3', {}, p.textContent ?? ''));
    else if (strong) box.append(h('p', {}, h('strong', {}, strong.textContent ?? ''), ' ',
                                   (p.textContent ?? '').slice((strong.textContent ?? '').length)));
    else box.append(h('p', {}, p.textContent ?? ''));
  }
  return box;
}

let large = false;

function noticeScreen() {
  stopSpeech();
  state.redraw = noticeScreen;
  const n = state.notice;
  if (!n || !state.api) return void startScreen();
  const api = state.api;
  const content = h('div', {});
  const voice = h('div', { class: 'voice', role: 'status' });
  const showNormal = () => mount(content, noticeBody(n.text ?? '', n.alternatives ?? []));
  const sizeButton = h('button', { type: 'button', class: 'big secondary', 'aria-pressed': String(large),
                                   'data-action': 'large-print' }, large ? t('normalPrint') : t('largePrint'));
  sizeButton.addEventListener('click', async () => {
    large = !large;
    document.body.classList.toggle('large-print', large);
    sizeButton.textContent = large ? t('normalPrint') : t('largePrint');
    sizeButton.setAttribute('aria-pressed', String(large));
    if (!large) return showNormal();
    const r = await call(api.GET('/v1/purposes/{name}/notice',
                                 { params: { path: { name: state.purpose }, query: { format: 'large-print' } } }));
    if (r?.text) mount(content, largePrintBody(r.text));
  });
  const listenButton = h('button', { type: 'button', class: 'big secondary', 'data-action': 'voice' }, t('listen'));
  listenButton.addEventListener('click', async () => {
    if (speaking()) {
      stopSpeech();
      listenButton.textContent = t('listen');
      return;
    }
    const r = await call(api.GET('/v1/purposes/{name}/notice',
                                 { params: { path: { name: state.purpose }, query: { format: 'voice' } } }));
    if (!r?.text) return;
    // REQ N2: spoken by the browser's speech synthesis; where there is none, the same text shown.
    if (!speak(r.text, /[\u4e00-\u9fff]/.test(r.text) ? 'zh-CN' : 'en')) {
      mount(voice, h('p', {}, t('voiceUnavailable')), h('p', { class: 'voice-text' }, r.text));
      return;
    }
    listenButton.textContent = t('stopListening');
    mount(voice, h('p', { class: 'voice-text' }, r.text));
  });
  if (large) {
    void (async () => {
      const r = await call(api.GET('/v1/purposes/{name}/notice',
                                   { params: { path: { name: state.purpose }, query: { format: 'large-print' } } }));
      if (r?.text) mount(content, largePrintBody(r.text));
    })();
  } else {
    showNormal();
  }
  screen(t('noticeTitle', { version: n.version ?? '' }),
         h('p', {}, t('noticeIntro')),
         h('div', { class: 'actions' }, sizeButton, listenButton),
         voice,
         content,
         h('div', { class: 'actions' },
           button(t('acknowledge'), () => { stopSpeech(); void consentScreen(); }, 'big', { 'data-action': 'acknowledge' }),
           otherMethodButton(),
           button(t('back'), () => void startScreen(), 'big secondary')));
}

function speaking(): boolean {
  return 'speechSynthesis' in window && window.speechSynthesis.speaking;
}

function speak(text: string, l: string): boolean {
  if (!('speechSynthesis' in window) || typeof SpeechSynthesisUtterance === 'undefined') return false;
  if (window.speechSynthesis.getVoices().length === 0) return false;  // nothing can speak here
  const u = new SpeechSynthesisUtterance(text);
  u.lang = l;
  window.speechSynthesis.cancel();
  window.speechSynthesis.speak(u);
  return true;
}

function stopSpeech() {
  if ('speechSynthesis' in window) window.speechSynthesis.cancel();
}

// ---- consent (REQ C1, C5, C7) ----

async function consentScreen() {
  const api = state.api!;
  // REQ C7: within the quiet period after a "no", the kiosk does not ask again by itself.
  if (state.prompted) {
    const may = await call(api.GET('/v1/subjects/{id}/consents/{purpose}/may-ask',
                                   { params: { path: { id: state.subject, purpose: state.purpose } } }));
    if (!may) return;
    if (may.may_ask === false) return quietScreen(may.message ?? '');
  }
  drawConsent();
}

function quietScreen(message: string) {
  state.redraw = () => quietScreen(message);
  const until = message.match(/\d{4}-\d\d-\d\dT[\d:]+Z/)?.[0];
  screen(t('quietTitle'),
         h('p', {}, t('quietText', { until: until ? formatTime(until) : '—' })),
         h('div', { class: 'actions' },
           otherMethodButton(),
           button(t('consentAnyway'), () => { state.prompted = false; drawConsent(); }, 'big secondary',
                  { 'data-action': 'consent-anyway' }),
           button(t('done'), () => reset(), 'big secondary')));
}

function drawConsent(problem = '') {
  state.redraw = () => drawConsent(problem);
  const n = state.notice!;
  const days = n.retention_days ?? 0;
  const now = Date.now();
  const option = (value: string, label: Key, expiry: string) =>
    h('div', { class: 'option' },
      h('input', { type: 'radio', name: 'option', id: `opt-${value}`, value }),
      h('label', { for: `opt-${value}` }, h('strong', {}, t(label)), h('span', {}, expiry)));
  const form = h('fieldset', { class: 'options' },
    h('legend', {}, t('consentLegend')),
    option('once', 'optOnce', t('optOnceExpiry', { until: formatTime(new Date(now + 24 * 3600e3)) })),
    option('while_in_use', 'optWhile', t('optWhileExpiry')),
    option('always', 'optAlways', t('optAlwaysExpiry', { days, until: formatTime(new Date(now + days * 86400e3)) })));
  const msg = h('p', { class: 'error', role: 'alert' }, problem);
  const yes = () => {
    const chosen = form.querySelector<HTMLInputElement>('input[name=option]:checked');
    if (!chosen) {
      msg.textContent = t('chooseOption');
      return;
    }
    void agree(chosen.value as 'once' | 'while_in_use' | 'always');
  };
  screen(t('consentTitle'),
         h('p', {}, t('consentText', { purpose: state.purpose })),
         form, msg,
         h('div', { class: 'actions yesno' },
           button(t('yes'), yes, 'big', { 'data-action': 'yes' }),
           button(t('no'), () => void refuse(), 'big', { 'data-action': 'no' })),
         h('div', { class: 'actions' }, otherMethodButton()));
}

async function refuse() {
  const r = await call(state.api!.POST('/v1/subjects/{id}/consents/{purpose}/refuse',
                                       { params: { path: { id: state.subject, purpose: state.purpose } } }));
  if (!r) return;
  const until = r.quiet_until ?? '';
  state.redraw = () => refusedScreen(until);
  refusedScreen(until);
}

function refusedScreen(until: string) {
  screen(t('refusedTitle'),
         h('p', { 'data-result': 'refused' }, t('refusedText', { until: until ? formatTime(until) : '—' })),
         h('div', { class: 'actions' }, otherMethodButton(),
           button(t('done'), () => reset(), 'big secondary', { 'data-action': 'done' })));
}

// "Yes" is the person's tap (REQ D1): it records the consent and opens the capture. A "while in
// use" consent belongs to that capture, so the capture opens first and the consent names it.
async function agree(option: 'once' | 'while_in_use' | 'always') {
  const api = state.api!;
  state.option = option;
  const give = (session?: string) => call(api.POST('/v1/consents', { body: {
    subject: state.subject, purpose: state.purpose, notice_id: state.notice!.notice_id!, option,
    method: 'click', prompted: state.prompted, ...(session ? { session } : {}),
  } }));
  if (option === 'while_in_use') {
    const s = await openSession();
    if (!s) return;
    const c = await give(s.id);
    if (!c) return;
    state.consentId = c.consent?.id ?? 0;
    return captureScreen(s.id, s.expires_at);
  }
  const c = await give();
  if (!c) return;
  state.consentId = c.consent?.id ?? 0;
  const s = await openSession();
  if (s) captureScreen(s.id, s.expires_at);
}

async function openSession(): Promise<{ id: string; expires_at: string } | null> {
  const r = await call(state.api!.POST('/v1/devices/{id}/sessions', { params: { path: { id: state.device } }, body: {
    purpose: state.purpose, subject: state.subject, opened_by: 'tap', action: state.action,
  } }));
  if (!r?.session?.id) return null;
  state.session = r.session.id;
  return { id: r.session.id, expires_at: r.session.expires_at ?? new Date(Date.now() + 30e3).toISOString() };
}

// ---- capture (REQ D1, D2) ----

function hintFor(a: FrameAnswer | null): string {
  if (!a) return t('hintChecking');
  if (a.outcome === 'no_face') return t('hintNoFace');
  const q = (a.quality ?? {}) as Record<string, { level?: string }>;
  const bad = (m: string) => q[m]?.level === 'poor';
  if (bad('yaw') || bad('pitch') || bad('roll')) return t('hintTurn');
  if (bad('brightness') || bad('contrast')) return t('hintLight');
  if (bad('size')) return t('hintCloser');
  if (bad('sharpness')) return t('hintStill');
  if (bad('occlusion')) return t('hintUncover');
  return t('hintNoFace');
}

function stopCapture() {
  state.capture?.stop();
  state.capture = null;
}

function captureScreen(session: string, expiresAt: string) {
  const expires = Date.parse(expiresAt);
  const video = h('video', { class: 'camera', muted: true, playsinline: true, autoplay: true, 'aria-label': t('cameraLabel') });
  const hint = h('p', { class: 'hint', role: 'status', 'aria-live': 'polite', 'data-hint': '' }, t('hintStarting'));
  const left = h('p', { class: 'left' });
  const upload = h('input', { type: 'file', id: 'upload', accept: 'image/jpeg,image/png' });
  const capture = new Capture(state.api!, session, expires, video, {
    hint: (a) => {
      hint.textContent = hintFor(a);
      hint.dataset.hint = a?.outcome ?? 'checking';
    },
    tick: (s) => { left.textContent = t('timeLeft', { seconds: s }); },
    end: (e) => onCaptureEnd(e),
  });
  state.capture = capture;
  upload.addEventListener('change', () => { if (upload.files?.[0]) void capture.sendPhoto(upload.files[0]); });
  state.redraw = () => {};  // a running capture is not redrawn; the next screen is in the new language
  screen(state.action === 'enrol' ? t('captureTitleEnrol') : t('captureTitleMatch'),
         h('p', {}, t('captureText', { seconds: Math.max(1, Math.round((expires - Date.now()) / 1000)) })),
         video, hint, left,
         h('div', { class: 'stack' }, h('label', { for: 'upload' }, t('uploadLabel')), upload),
         h('div', { class: 'actions' },
           otherMethodButton(),
           button(t('cancel'), () => reset(), 'big secondary')));
  void capture.start().then((ok) => {
    if (ok || state.capture !== capture) return;
    hint.textContent = t('noCamera');
    video.hidden = true;  // no empty camera box: the upload is the way
  });
}

function onCaptureEnd(e: CaptureEnd) {
  state.capture = null;
  if (e.kind === 'stopped') return;
  if (e.kind === 'error') return showError(e.error);
  if (e.kind === 'timeout') {
    state.redraw = () => onCaptureEnd(e);
    return screen(t('timeoutTitle'), h('p', { 'data-result': 'timeout' }, t('timeoutText')),
                  h('div', { class: 'actions' }, otherMethodButton(), button(t('startOver'), () => reset(), 'big secondary')));
  }
  resultScreen(e.answer);
}

function resultScreen(a: FrameAnswer) {
  state.redraw = () => resultScreen(a);
  const level = (a.quality as { overall?: string } | undefined)?.overall;
  const verdict = (a.liveness as { verdict?: string } | undefined)?.verdict;
  const decision = a.outcome === 'enrolled' ? t('d_enrolled') : a.outcome === 'match' ? t('d_match') : t('d_no_match');
  const rows: [string, string][] = [
    [t('decision'), decision],
    [t('quality'), level ? (tMaybe(`q_${level}`) ?? level) : '—'],
    [t('liveness'), verdict ?? t('livenessNone')],
  ];
  if (a.expires_at) rows.push([t('templateUntil'), formatTime(a.expires_at)]);
  if (a.consent_id) rows.push([t('consentRef'), String(a.consent_id)]);
  const title = a.outcome === 'enrolled' ? t('enrolledTitle') : a.outcome === 'match' ? t('matchTitle') : t('noMatchTitle');
  const again = () => void (async () => {
    state.action = 'match';
    // A "while in use" consent ended with its capture (REQ C5): a new capture asks again.
    if (state.option === 'while_in_use') return drawConsent();
    const s = await openSession();  // a new tap, a new capture (REQ D1)
    if (s) captureScreen(s.id, s.expires_at);
  })();
  screen(title,
         h('p', { 'data-result': a.outcome }, a.outcome === 'no_match' ? t('noMatchText') : ''),
         h('h3', {}, t('restedOn')), fields(rows),
         h('div', { class: 'actions' },
           a.outcome === 'enrolled' ? button(t('verifyNow'), again, 'big', { 'data-action': 'verify-now' }) : null,
           a.outcome === 'no_match' ? button(t('tryAgain'), again, 'big') : null,
           otherMethodButton(),
           state.consentId ? button(t('showReceipt'), () => void receiptScreen(state.consentId), 'big secondary',
                                    { 'data-action': 'receipt' }) : null,
           button(t('done'), () => reset(), 'big secondary', { 'data-action': 'done' })));
}

// ---- another method (REQ A2, A3, D7): the camera is never opened on this path ----

// `session`: the capture running when the person chose (its camera stops first), else none.
async function chooseAlternative(method?: string, session = state.capture ? state.session : '') {
  stopCapture();  // tracks stop before the server even hears of it (REQ D7)
  const alts = state.notice?.alternatives ?? [];
  if (!method && alts.length > 1) {
    state.redraw = () => void chooseAlternative(undefined, session);
    return screen(t('altTitle'), h('p', {}, t('altChoose')),
                  h('div', { class: 'actions' },
                    ...alts.map((m) => button(altName(m), () => void chooseAlternative(m, session), 'big alt')),
                    button(t('back'), () => reset(), 'big secondary')));
  }
  const chosen = method ?? alts[0] ?? '';
  const api = state.api!;
  let transaction: number | undefined;
  if (session) {
    const r = await call(api.POST('/v1/sessions/{id}/alternative', { params: { path: { id: session } },
                                                                      body: { method: chosen } }));
    if (!r) return;
    transaction = r.session?.alternative_transaction;
  } else {
    const r = await call(api.POST('/v1/alternatives', { body: {
      subject: state.subject, purpose: state.purpose, method: chosen, device: state.device,
    } }));
    if (!r) return;
    transaction = r.transaction;
  }
  state.redraw = () => altDoneScreen(chosen, transaction);
  altDoneScreen(chosen, transaction);
}

function altDoneScreen(method: string, transaction?: number) {
  screen(t('altDoneTitle'),
         h('p', { 'data-result': 'alternative' }, t('altDoneText', { id: transaction ?? '—' })),
         h('p', { class: 'next' }, t('altNext', { next: tMaybe(`altnext_${method}`) ?? t('altnext_other') })),
         h('div', { class: 'actions' }, button(t('done'), () => reset(), 'big', { 'data-action': 'done' })));
}

// ---- withdrawal in one step, and the receipt (REQ C2, C4) ----

function withdrawScreen() {
  state.redraw = withdrawScreen;
  screen(t('withdrawTitle'),
         h('p', {}, t('withdrawText')),
         fields([[t('r_subject'), state.subject], [t('r_purpose'), state.purpose]]),
         h('div', { class: 'actions' },
           button(t('withdrawNow'), () => void withdraw(), 'big', { 'data-action': 'withdraw-now' }),
           otherMethodButton(),
           button(t('back'), () => void startScreen(), 'big secondary')));
}

async function withdraw() {
  const r = await call(state.api!.POST('/v1/subjects/{id}/consents/{purpose}/withdraw',
                                       { params: { path: { id: state.subject, purpose: state.purpose } } }));
  if (!r) return;
  const ids = r.consent_ids ?? [];
  const receipt = ids.length ? await fetchReceipt(ids[0]) : null;
  const draw = () => screen(t('withdrawnTitle'),
    h('p', { 'data-result': 'withdrawn' },
      t('withdrawnText', { consents: r.consents_withdrawn ?? 0, templates: r.templates_deleted ?? 0 })),
    receipt ? receiptView(receipt) : null,
    h('div', { class: 'actions' }, button(t('done'), () => reset(), 'big', { 'data-action': 'done' })));
  state.redraw = draw;
  draw();
}

type Receipt = Record<string, unknown>;

async function fetchReceipt(id: number): Promise<Receipt | null> {
  const r = await call(state.api!.GET('/v1/consents/{id}/receipt', { params: { path: { id } } }));
  return (r?.receipt as Receipt | undefined) ?? null;
}

function receiptView(r: Receipt) {
  const auth = (r.authorization ?? {}) as Record<string, unknown>;
  const ctrl = ((r.piiControllers as Record<string, string>[] | undefined) ?? [])[0] ?? {};
  const notice = (r.notice ?? {}) as Record<string, unknown>;
  const service = ((r.services as Record<string, unknown>[] | undefined) ?? [])[0] ?? {};
  const when = (v: unknown) => (typeof v === 'number' ? formatTime(v) : t('none'));
  const opt = String(auth.option ?? '');
  return h('section', { class: 'receipt', 'aria-labelledby': 'receipt-title' },
    h('h3', { id: 'receipt-title' }, t('receiptTitle')),
    fields([
      [t('r_id'), String(r.consentReceiptID ?? '')],
      [t('r_subject'), String(r.piiPrincipalId ?? '')],
      [t('r_purpose'), String(service.service ?? '')],
      [t('r_controller'), String(ctrl.piiController ?? '')],
      [t('r_contact'), String(ctrl.contact ?? '')],
      [t('r_option'), tMaybe(`opt_${opt}`) ?? opt],
      [t('r_method'), String(r.collectionMethod ?? '')],
      [t('r_given'), when(r.consentTimestamp)],
      [t('r_expires'), when(auth.expires_at)],
      [t('r_withdrawn'), when(auth.withdrawn_at)],
      [t('r_notice'), String(notice.version ?? '')],
      [t('r_withdraw'), String(r.withdraw ?? '')],
    ]));
}

async function receiptScreen(id: number) {
  const r = await fetchReceipt(id);
  if (!r) return;
  const draw = () => screen(t('receiptTitle'), receiptView(r),
    h('div', { class: 'actions' }, button(t('done'), () => reset(), 'big', { 'data-action': 'done' })));
  state.redraw = draw;
  draw();
}

// ---- start over: nothing of the last person stays on the screen or in memory ----

function reset() {
  stopCapture();
  stopSpeech();
  state.subject = '';
  state.consentId = 0;
  state.option = '';
  state.session = '';
  state.prompted = true;
  large = false;
  document.body.classList.remove('large-print');
  void startScreen();
}

// ---- boot ----

setLang(sessionStorage.getItem(LANG) === 'en' ? 'en' : 'zh');
drawBar();
const fromFragment = keyFromFragment();
const key = fromFragment ?? sessionStorage.getItem(KEY);
if (key) void useKey(key);
else setupScreen();
