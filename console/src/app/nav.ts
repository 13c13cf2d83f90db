/** The console's sections, and the permission (policy.ts PERMISSIONS) a role needs to see each one. */
export interface Section {
  path: string;
  label: string;
  permission: string;
}

export const SECTIONS: readonly Section[] = [
  { path: '/servers', label: 'Servers', permission: 'servers.read' },
  { path: '/create', label: 'Create', permission: 'servers.create' },
  { path: '/playground', label: 'Playground', permission: 'servers.call' },
  { path: '/search', label: 'Search', permission: 'tools.search' },
  { path: '/gateway', label: 'Gateway', permission: 'gateway.manage' },
  { path: '/reviews', label: 'Reviews', permission: 'toolsmith.read' },
  { path: '/tokens', label: 'Tokens', permission: 'account.self' },
  { path: '/users', label: 'Users', permission: 'users.read' },
  { path: '/audit', label: 'Audit', permission: 'audit.read' },
];

/** The sections a caller with these permissions may open, in nav order. */
export function visibleSections(can: (permission: string) => boolean): Section[] {
  return SECTIONS.filter((section) => can(section.permission));
}
