// Devices and the site map (REQ D1-D7): each device's mode, status and signage, each site's route
// check and its map. The map is SVG fetched with the key and shown through a blob: URL in an
// <img> with a text alternative (the page's policy allows img-src blob:).
import { h, mount } from '../common/dom';
import { type Ctx, type Schemas, attempt, button, heading, load, statusRegion, table, when } from './ui';

function signageText(d: Schemas['Device']): string {
  if (!d.signage) return d.mode === 'automatic' ? 'Not confirmed (required to go live, REQ D5)' : 'Not confirmed';
  return `Confirmed by ${d.signage.confirmed_by ?? '?'} ${when(d.signage.confirmed_at)} (notice v${d.signage.notice_version ?? '?'})`;
}

export async function renderDevices(ctx: Ctx, main: HTMLElement): Promise<void> {
  const [devices, sites] = await Promise.all([load(ctx.api.GET('/v1/devices', {})), load(ctx.api.GET('/v1/sites'))]);
  const ds = devices.items ?? [];
  const ss = sites.items ?? [];
  const status = statusRegion('devices-status');
  const mapOut = h('section', { id: 'site-map', 'aria-live': 'polite' });
  mount(main, ...heading('Devices and sites', 'Recognition devices and where they stand: triggered by default (REQ D1), never in private rooms (D4), always with a route free of automatic devices (D6).'),
    table('Devices', ['Device', 'Mode', 'Status', 'Purposes', 'Site / place', 'Signage (REQ D5)', 'Capture timeout'],
      ds.map((d) => [d.id, d.mode === 'automatic' ? 'Automatic' : `Triggered${d.presence_trigger ? ' (presence)' : ''}`,
        d.status === 'suspended' ? `Suspended: ${d.status_reason}` : d.status, (d.purposes ?? []).join(', '),
        d.site ? `${d.site} / ${d.zone || d.passage || '-'}` : '-', signageText(d), `${d.capture_timeout_s ?? '?'} s`]),
      { id: 'devices', empty: 'No device registered.' }),
    table('Sites and their route check', ['Site', 'Name', 'Check (REQ D4, D6)', 'Updated', 'Map'],
      ss.map((s) => [s.id, s.name, s.check_ok ? '✓ Passes' : `✗ Refused: ${(s.check?.refusals ?? []).map((r) => r.requirement).join(', ') || 'see the map'}`,
        when(s.updated_at), button(`Map of ${s.id}`, () => void showMap(ctx, s, mapOut, status), { 'data-site': s.id ?? '' })]),
      { id: 'sites', empty: 'No site registered.' }),
    status, mapOut);
  if (ss.length > 0) await showMap(ctx, ss[0], mapOut, status);
}

let mapUrl = '';
async function showMap(ctx: Ctx, site: Schemas['Site'], into: HTMLElement, status: HTMLElement): Promise<void> {
  const id = site.id ?? '';
  await attempt(status, async () => {
    const svg = await load(ctx.api.GET('/v1/sites/{id}/map', { params: { path: { id } }, parseAs: 'blob' }));
    if (mapUrl) URL.revokeObjectURL(mapUrl);
    mapUrl = URL.createObjectURL(new Blob([svg as Blob], { type: 'image/svg+xml' }));
    const check = site.check;
    const routes = (check?.clear_routes ?? []).map((r) => `${r.entrance} to ${r.destination}: ${(r.zones ?? []).join(' → ')}`);
    const alt = `Map of site ${id}${site.name ? ` (${site.name})` : ''}: zones, passages and devices; ` +
      (site.check_ok ? 'the route check passes.' : 'the route check refuses it.');
    mount(into, h('h2', {}, `Map of ${id}`),
      h('figure', {}, h('img', { src: mapUrl, alt, id: 'map-img' }),
        h('figcaption', {}, 'Automatic devices are marked A (red), triggered ones T (green); clear routes are drawn in green, refused elements in red.')),
      h('h3', {}, 'Routes free of automatic devices (REQ D6)'),
      routes.length ? h('ul', {}, ...routes.map((r) => h('li', {}, r))) : h('p', {}, 'None found.'),
      (check?.refusals ?? []).length ? h('ul', { class: 'refusals' }, ...(check?.refusals ?? []).map((r) => h('li', {}, `✗ ${r.requirement}: ${r.message}`))) : null);
  });
}
