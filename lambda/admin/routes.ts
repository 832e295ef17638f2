// Which admin route an API Gateway event is for (ARCHITECTURE §2): by its resource template, or by
// its path where API Gateway gives none (a proxy resource, the local stack).

import { Route } from '../shared/names.js';

export type AdminRouteName = 'health' | 'metrics' | 'subjectMessages' | 'subject' | 'retentionRun' | 'audit';

export interface AdminRouteSpec {
  readonly name: AdminRouteName;
  readonly template: string;
  readonly method: 'GET' | 'POST' | 'DELETE';
  /** Path segments after `/admin`; `{phone}` marks the parameter. */
  readonly segments: readonly string[];
}

/** Every admin route (ARCHITECTURE §2): the one table the handler, the CDK app and the local stack use. */
export const ADMIN_ROUTES: readonly AdminRouteSpec[] = [
  { name: 'health', template: Route.adminHealth, method: 'GET', segments: ['health'] },
  { name: 'metrics', template: Route.adminMetrics, method: 'GET', segments: ['metrics'] },
  {
    name: 'subjectMessages',
    template: Route.adminSubjectMessages,
    method: 'GET',
    segments: ['subjects', '{phone}', 'messages'],
  },
  { name: 'subject', template: Route.adminSubject, method: 'DELETE', segments: ['subjects', '{phone}'] },
  { name: 'retentionRun', template: Route.adminRetentionRun, method: 'POST', segments: ['retention', 'run'] },
  { name: 'audit', template: Route.adminAudit, method: 'GET', segments: ['audit'] },
];

export type RouteMatch =
  | {
      readonly kind: 'route';
      readonly name: AdminRouteName;
      readonly template: string;
      readonly method: string;
      readonly phone?: string;
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

/** Percent-decodes a path parameter once; a value that does not decode is returned as it is (and fails E.164). */
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

function byPath(path: string): { spec: AdminRouteSpec; phone?: string } | undefined {
  const segments = path.replace(/\/+$/, '').split('/');
  if (segments[0] !== '' || segments[1] !== 'admin') return undefined;
  const rest = segments.slice(2);
  for (const spec of ADMIN_ROUTES) {
    if (spec.segments.length !== rest.length) continue;
    let phone: string | undefined;
    const matches = spec.segments.every((expected, i) => {
      const actual = rest[i] as string;
      if (expected === '{phone}') {
        phone = actual;
        return actual.length > 0;
      }
      return expected === actual;
    });
    if (matches) return phone === undefined ? { spec } : { spec, phone };
  }
  return undefined;
}

export function matchAdminRoute(event: RoutableEvent): RouteMatch {
  const method = event.httpMethod.toUpperCase();
  const fromTemplate = byTemplate(event.resource);
  const found = fromTemplate
    ? { spec: fromTemplate, phone: event.pathParameters?.phone }
    : byPath(event.path);
  if (!found) return { kind: 'not_found', method };
  const { spec } = found;
  if (spec.method !== method)
    return { kind: 'method_not_allowed', template: spec.template, method, allow: spec.method };
  return {
    kind: 'route',
    name: spec.name,
    template: spec.template,
    method,
    ...(found.phone !== undefined ? { phone: decodeParam(found.phone) } : {}),
  };
}

/** True for paths the admin handler answers (the local stack routes by this). */
export function isAdminPath(path: string): boolean {
  return path === '/admin' || path.startsWith('/admin/');
}
