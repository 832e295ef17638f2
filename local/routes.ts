// The local route table (ARCHITECTURE §2): which handler serves which API Gateway resource, as the
// API stack wires them in AWS. Unknown paths get the generic 404 from the HTTP server.

import { ADMIN_ROUTES } from '../lambda/admin/routes.js';
import type { ApiHandler } from '../lambda/shared/http.js';
import { Route, VOICE_PATHS, WEBHOOK_PATHS } from '../lambda/shared/names.js';
import type { ResolvedRoute } from './api-gateway-event.js';

export interface RouteHandlers {
  readonly webhook: ApiHandler;
  /** The admin function's handler (`makeAdminHandler`), wired in local/stack.ts. */
  readonly admin: ApiHandler;
}

interface RouteEntry {
  readonly resource: string;
  readonly target: keyof RouteHandlers;
}

const ROUTES: readonly RouteEntry[] = [
  { resource: Route.health, target: 'webhook' },
  ...WEBHOOK_PATHS.map((path): RouteEntry => ({ resource: path, target: 'webhook' })),
  // Served where voice is disabled too: the handler answers 404 then, as any unknown route.
  ...VOICE_PATHS.map((path): RouteEntry => ({ resource: path, target: 'webhook' })),
  ...ADMIN_ROUTES.map((route): RouteEntry => ({ resource: route.template, target: 'admin' })),
];

interface CompiledRoute extends RouteEntry {
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

function compile(entry: RouteEntry): CompiledRoute {
  const names: string[] = [];
  const source = entry.resource
    .split('/')
    .map((segment) => {
      const parameter = /^\{(\w+)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(parameter[1] as string);
      return '([^/]+)';
    })
    .join('/');
  return { ...entry, pattern: new RegExp(`^${source}$`), names };
}

export interface Dispatch {
  readonly route: ResolvedRoute;
  readonly handler: ApiHandler;
}

/** Returns the function that finds the handler for a path (API Gateway matches all methods: ANY). */
export function routeTable(handlers: RouteHandlers): (path: string) => Dispatch | undefined {
  const compiled = ROUTES.map(compile);
  return (path) => {
    for (const entry of compiled) {
      const match = entry.pattern.exec(path);
      const handler = handlers[entry.target];
      if (!match) continue;
      let pathParameters: Record<string, string> | null = null;
      try {
        for (const [i, name] of entry.names.entries()) {
          pathParameters ??= {};
          pathParameters[name] = decodeURIComponent(match[i + 1] as string);
        }
      } catch {
        return undefined; // malformed percent-encoding names no resource
      }
      return { route: { resource: entry.resource, pathParameters }, handler };
    }
    return undefined;
  };
}
