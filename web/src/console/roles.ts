// What each role may use, as the server's role table says (RoleAllows in src/server/server.cpp,
// x-roles in docs/openapi.yaml): the console offers a page or an action only to a role whose
// key the server would let through, so nobody is shown a button that can only answer 403.
export type Role = 'admin' | 'operator' | 'auditor' | 'device';

// The server's access groups (src/server/server.h, Access), by the roles that may use them.
const groups = {
  purposes: ['admin', 'operator'],        // purposes and notices, read and write
  consents: ['admin', 'operator'],        // consents, receipts, subjects' records
  audit: ['admin', 'auditor'],            // the audit log and its chain check (REQ S6)
  admin: ['admin'],                       // breaches, API keys, devices and sites written
  rights: ['admin', 'operator'],          // record and handle rights requests (REQ R1)
  rightsRead: ['admin', 'operator', 'auditor'],
  deploymentRead: ['admin', 'operator', 'auditor'],  // devices and sites (REQ D1-D7)
  dashboard: ['admin', 'operator', 'auditor'],
} as const;
export type Group = keyof typeof groups;

export function may(role: Role, group: Group): boolean {
  return (groups[group] as readonly string[]).includes(role);
}

// The console's pages: route, navigation label, and the group a role needs to see it.
export interface PageInfo {
  route: string;
  label: string;
  group: Group;
}
export const pages: PageInfo[] = [
  { route: 'dashboard', label: 'Dashboard', group: 'dashboard' },
  { route: 'purposes', label: 'Purposes and notices', group: 'purposes' },
  { route: 'consents', label: 'Consents', group: 'consents' },
  { route: 'rights', label: 'Subjects and rights requests', group: 'rightsRead' },
  { route: 'devices', label: 'Devices and sites', group: 'deploymentRead' },
  { route: 'audit', label: 'Audit log', group: 'audit' },
  { route: 'breaches', label: 'Breaches', group: 'admin' },
  { route: 'keys', label: 'API keys', group: 'admin' },
];
