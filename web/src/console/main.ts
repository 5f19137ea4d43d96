// The operator console (docs/ui.md, "Console"): sign in with an API key (kept in this tab's
// sessionStorage only, never in a URL or localStorage), then the pages the key's role may use,
// by hash route (#/dashboard). Every call goes through the client typed from docs/openapi.yaml.
import { apiClient } from '../common/api';
import { h, mount } from '../common/dom';
import { type Role, may, pages } from './roles';
import { type Ctx, describeFailure, field, load, say, statusRegion } from './ui';
import { renderDashboard } from './page_dashboard';
import { renderPurposes } from './page_purposes';
import { renderConsents } from './page_consents';
import { renderRights } from './page_rights';
import { renderDevices } from './page_devices';
import { renderAudit } from './page_audit';
import { renderBreaches } from './page_breaches';
import { renderKeys } from './page_keys';

const KEY_SLOT = 'facegate.console.key';
const renderers: Record<string, (ctx: Ctx, main: HTMLElement) => Promise<void>> = {
  dashboard: renderDashboard,
  purposes: renderPurposes,
  consents: renderConsents,
  rights: renderRights,
  devices: renderDevices,
  audit: renderAudit,
  breaches: renderBreaches,
  keys: renderKeys,
};

const app = document.getElementById('app')!;
let ctx: Ctx | null = null;

// Signs in with `key`: asks the server who it is; a device key has no console.
async function signIn(key: string): Promise<Ctx> {
  const api = apiClient(key);
  const me = await load(api.GET('/v1/me'));
  if (me.role === 'device') throw new Error('a device key belongs to a kiosk or gate, not the console; sign in with your own admin, operator or auditor key');
  return { api, me: { id: me.id, role: me.role as Role } };
}

function signOut(): void {
  sessionStorage.removeItem(KEY_SLOT);
  ctx = null;
  history.replaceState(null, '', location.pathname);
  showSignIn('You are signed out; the key was removed from this tab.');
}

function showSignIn(message = ''): void {
  document.title = 'Sign in - facegate console';
  const status = statusRegion('signin-status');
  const input = h('input', { type: 'password', name: 'key', autocomplete: 'off', required: true, spellcheck: 'false' });
  const form = h('form', { class: 'signin', novalidate: true },
    field('signin-key', 'API key', input, 'Paste your key (fgk_...). It stays in this browser tab only and is forgotten when you sign out or close the tab.'),
    h('button', { type: 'submit' }, 'Sign in'),
    status);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const key = input.value.trim();
    if (!key) return say(status, 'error', 'paste an API key first');
    say(status, 'info', 'Signing in…');
    try {
      ctx = await signIn(key);
      sessionStorage.setItem(KEY_SLOT, key);
      // replaceState fires no hashchange: the shell below renders the page once.
      if (!location.hash) history.replaceState(null, '', '#/dashboard');
      showShell();
    } catch (e) {
      say(status, 'error', e instanceof Error && !('status' in e) ? e.message : describeFailure(e));
    }
  });
  mount(document.body,
    h('header', { class: 'top' }, h('p', { class: 'brand' }, 'facegate console')),
    h('main', { id: 'app' },
      h('h1', {}, 'Sign in to the facegate console'),
      h('p', {}, 'Operators, auditors and admins sign in with their own API key. What you see depends on its role.'),
      message ? h('p', { class: 'status info', role: 'status' }, message) : null,
      form));
  input.focus();
}

function allowedPages(role: Role) {
  return pages.filter((p) => may(role, p.group));
}

// The header, the navigation of the pages the role may use, and the current page.
function showShell(): void {
  if (!ctx) return showSignIn();
  const c = ctx;
  const nav = h('nav', { 'aria-label': 'Console pages' },
    h('ul', {}, ...allowedPages(c.me.role).map((p) =>
      h('li', {}, h('a', { href: `#/${p.route}`, 'data-route': p.route }, p.label)))));
  const main = h('main', { id: 'app' });
  mount(document.body,
    h('a', { href: '#page-title', class: 'skip' }, 'Skip to content'),
    h('header', { class: 'top' },
      h('p', { class: 'brand' }, 'facegate console'),
      h('p', { class: 'who' }, 'Signed in as key ', h('code', {}, c.me.id), ', role ', h('strong', { id: 'role' }, c.me.role)),
      h('button', { type: 'button', id: 'signout', onclick: signOut }, 'Sign out')),
    nav,
    main);
  void route(main, nav);
}

async function route(main: HTMLElement, nav: HTMLElement): Promise<void> {
  if (!ctx) return;
  const name = (location.hash.match(/^#\/([a-z]+)/) || [])[1] || 'dashboard';
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.route === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const page = pages.find((p) => p.route === name);
  mount(main);
  if (!page || !may(ctx.me.role, page.group)) {
    document.title = 'Not available - facegate console';
    mount(main, h('h1', { id: 'page-title', tabindex: -1 }, 'Not available'),
      h('p', { class: 'status error', role: 'alert' },
        page ? `The ${page.label} page is not available to role ${ctx.me.role}.` : `There is no page "${name}".`,
        ' Choose a page from the navigation.'));
    return;
  }
  document.title = `${page.label} - facegate console`;
  main.dataset.page = page.route;
  main.setAttribute('aria-busy', 'true');
  try {
    await renderers[page.route](ctx, main);
  } catch (e) {
    main.append(h('p', { class: 'status error', role: 'alert' }, `Error: ${describeFailure(e)}`));
  } finally {
    main.removeAttribute('aria-busy');
    main.dataset.ready = page.route;
  }
}

window.addEventListener('hashchange', () => {
  const main = document.querySelector('main');
  const nav = document.querySelector('nav');
  if (ctx && main && nav) {
    delete (main as HTMLElement).dataset.ready;
    void route(main as HTMLElement, nav as HTMLElement).then(() => (document.getElementById('page-title') as HTMLElement | null)?.focus());
  }
});

// On load: a key already in this tab's session signs in again; otherwise the sign-in form.
(async () => {
  const key = sessionStorage.getItem(KEY_SLOT);
  if (!key) return showSignIn();
  try {
    ctx = await signIn(key);
    showShell();
  } catch (e) {
    sessionStorage.removeItem(KEY_SLOT);
    showSignIn(`The saved key no longer works: ${describeFailure(e)}`);
  }
})();
void app;
