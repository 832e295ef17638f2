// Which admin route an API Gateway event is for (ARCHITECTURE §2): by its resource template, or by
// its path where API Gateway gives none (a proxy resource, the local stack). Subject numbers are never
// part of a path: they travel in POST bodies, out of access logs, traces and WAF samples.

import { AdminRole, Route } from '../shared/names.js';

export type AdminRouteName =
  | 'health'
  | 'metrics'
  | 'audit'
  | 'subjectExport'
  | 'subjectErase'
  | 'approval'
  | 'retentionRun';

export interface AdminRouteSpec {
  readonly name: AdminRouteName;
  readonly template: string;
  readonly method: 'GET' | 'POST';
  /** Path segments after `/admin`; `{id}` marks the parameter. */
  readonly segments: readonly string[];
  /** Roles whose credentials may call it. */
  readonly roles: readonly AdminRole[];
}

const ANY_ROLE = [AdminRole.reader, AdminRole.privacy, AdminRole.operator] as const;

/** Every admin route (ARCHITECTURE §2): the one table the handler, the CDK app and the local stack use. */
export const ADMIN_ROUTES: readonly AdminRouteSpec[] = [
  { name: 'health', template: Route.adminHealth, method: 'GET', segments: ['health'], roles: ANY_ROLE },
  { name: 'metrics', template: Route.adminMetrics, method: 'GET', segments: ['metrics'], roles: ANY_ROLE },
  { name: 'audit', template: Route.adminAudit, method: 'GET', segments: ['audit'], roles: ANY_ROLE },
  {
    name: 'subjectExport',
    template: Route.adminSubjectExport,
    method: 'POST',
    segments: ['subjects', 'export'],
    roles: [AdminRole.privacy],
  },
  {
    name: 'subjectErase',
    template: Route.adminSubjectErase,
    method: 'POST',
    segments: ['subjects', 'erase'],
    roles: [AdminRole.privacy],
  },
  {
    name: 'approval',
    template: Route.adminApproval,
    method: 'POST',
    segments: ['approvals', '{id}'],
    roles: [AdminRole.privacy],
  },
  {
    name: 'retentionRun',
    template: Route.adminRetentionRun,
    method: 'POST',
    segments: ['retention', 'run'],
    roles: [AdminRole.operator],
  },
];

export type RouteMatch =
  | {
      readonly kind: 'route';
      readonly spec: AdminRouteSpec;
      readonly name: AdminRouteName;
      readonly template: string;
      readonly method: string;
      /** The `{id}` path parameter (an approval id), as sent. */
      readonly id?: string;
    }
  | {
      readonly kind: 'method_not_allowed';
      readonly template: string;
      readonly method: string;
      readonly allow: string;
    }
  | { readonly kind: 'not_found'; readonly method: string };

export interface RoutableEvent {
  readonly httpMethod: string;
  readonly path: string;
  readonly resource?: string | null;
  readonly pathParameters?: Readonly<Record<string, string | undefined>> | null;
}

/** Percent-decodes a path parameter once; a value that does not decode is returned as it is (and names no approval). */
function decodeParam(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

function byTemplate(resource: string | null | undefined): AdminRouteSpec | undefined {
  return resource ? ADMIN_ROUTES.find((route) => route.template === resource) : undefined;
}

function byPath(path: string): { spec: AdminRouteSpec; id?: string } | undefined {
  const segments = path.replace(/\/+$/, '').split('/');
  if (segments[0] !== '' || segments[1] !== 'admin') return undefined;
  const rest = segments.slice(2);
  for (const spec of ADMIN_ROUTES) {
    if (spec.segments.length !== rest.length) continue;
    let id: string | undefined;
    const matches = spec.segments.every((expected, i) => {
      const actual = rest[i] as string;
      if (expected === '{id}') {
        id = actual;
        return actual.length > 0;
      }
      return expected === actual;
    });
    if (matches) return id === undefined ? { spec } : { spec, id };
  }
  return undefined;
}

export function matchAdminRoute(event: RoutableEvent): RouteMatch {
  const method = event.httpMethod.toUpperCase();
  const fromTemplate = byTemplate(event.resource);
  const found = fromTemplate ? { spec: fromTemplate, id: event.pathParameters?.id } : byPath(event.path);
  if (!found) return { kind: 'not_found', method };
  const { spec } = found;
  if (spec.method !== method)
    return { kind: 'method_not_allowed', template: spec.template, method, allow: spec.method };
  return {
    kind: 'route',
    spec,
    name: spec.name,
    template: spec.template,
    method,
    ...(found.id !== undefined ? { id: decodeParam(found.id) } : {}),
  };
}

/** True for paths the admin handler answers (the local stack routes by this). */
export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}
