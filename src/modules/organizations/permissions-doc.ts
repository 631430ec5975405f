import { actionsOf, grantOf, isPlatformOnly, permissionMatrix, roleDescriptions, resources, roles } from './permissions.ts';

const abbreviation: Record<string, string> = { read: 'R', create: 'C', update: 'U', delete: 'D' };

/** docs/roles-and-permissions.md, generated from the matrix; a test keeps the file equal to it. */
export function renderRolesAndPermissions(): string {
  const lines = [
    '# Roles and permissions',
    '',
    '<!-- Generated from src/modules/organizations/permissions.ts; run',
    '     `UPDATE_DOCS=1 npx vitest run src/modules/organizations/permissions.test.ts` after changing it. -->',
    '',
    'A user holds one role per organization (a membership). Requests act in one organization at a',
    'time: `POST /v1/organizations/{id}/switch` returns an access token for it, and sign-in and',
    'refresh keep the organization the session last switched to. The role is read from the',
    'membership on every request, so a role change or a removal applies from the next request;',
    "the token's `role` claim is only a hint.",
    '',
    'Routes declare what they need with `requirePermission(resource, action)`: 401 without a token,',
    '403 `access.no_organization` when acting in none, 403 `access.denied` when the role may not.',
    "Another organization's object is a 404. `GET /v1/permissions/me` returns the caller's row of",
    'this table for the console to shape itself.',
    '',
    '## Roles',
    '',
    '| role | what it is for |',
    '| --- | --- |',
    ...roles.map((role) => `| \`${role}\` | ${roleDescriptions[role]} |`),
    '',
    'Every organization keeps at least one `super_admin` or `admin` (409 `membership.last_admin`);',
    'only a `super_admin` grants or revokes `super_admin`. Admins of the platform organization read',
    'every organization’s audit log and perform the platform-only actions (marked †).',
    '',
    '## Scopes',
    '',
    '`all`: every row of the organization. `own`: the caller’s own rows (an owner’s properties and',
    'statements, a customer’s bookings). `assigned`: rows assigned to the caller (a vendor’s work',
    'orders). The route check grants the action; the module applies the scope to its queries',
    '(`accessOf(request).scope`). Cells below show the actions, with the scope when it is not `all`.',
    '',
    '## Matrix',
    '',
    `| resource | actions | ${roles.join(' | ')} |`,
    `| --- | --- | ${roles.map(() => '---').join(' | ')} |`,
  ];
  for (const resource of resources) {
    const actions = actionsOf(resource).map((action) => (isPlatformOnly(resource, action) ? `${action} †` : action));
    const cells = roles.map((role) => {
      const grant = grantOf(role, resource);
      if (!grant) return '–';
      const text = grant.actions.map((action) => abbreviation[action] ?? action).join(' ');
      return grant.scope === 'all' ? text : `${text} (${grant.scope})`;
    });
    lines.push(`| \`${resource}\` ${permissionMatrix[resource].title} | ${actions.join(', ')} | ${cells.join(' | ')} |`);
  }
  lines.push('', 'R, C, U, D: read, create, update, delete; other actions by name. †: platform organization only.', '');
  return lines.join('\n');
}
