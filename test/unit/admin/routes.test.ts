import { describe, expect, it } from 'vitest';
import { ADMIN_ROUTES, matchAdminRoute } from '../../../lambda/admin/routes.js';

const byPath = (httpMethod: string, path: string) => matchAdminRoute({ httpMethod, path });

describe('admin routes', () => {
  it('matches the approval route by its API Gateway resource template, decoding the id parameter', () => {
    expect(
      matchAdminRoute({
        httpMethod: 'POST',
        path: '/admin/approvals/abc%2Ddef',
        resource: '/admin/approvals/{id}',
        pathParameters: { id: 'abc%2Ddef' },
      }),
    ).toMatchObject({
      kind: 'route',
      name: 'approval',
      template: '/admin/approvals/{id}',
      method: 'POST',
      id: 'abc-def',
    });
  });

  it('matches by path where there is no template, with or without a trailing slash', () => {
    expect(byPath('GET', '/admin/health')).toMatchObject({ kind: 'route', name: 'health' });
    expect(byPath('GET', '/admin/metrics/')).toMatchObject({ kind: 'route', name: 'metrics' });
    expect(byPath('POST', '/admin/retention/run')).toMatchObject({ kind: 'route', name: 'retentionRun' });
    expect(byPath('GET', '/admin/audit')).toMatchObject({ kind: 'route', name: 'audit' });
    expect(byPath('POST', '/admin/subjects/export')).toMatchObject({ kind: 'route', name: 'subjectExport' });
    expect(byPath('POST', '/admin/subjects/erase')).toMatchObject({ kind: 'route', name: 'subjectErase' });
    expect(byPath('POST', '/admin/approvals/AAAAAAAAAAAAAAAAAAAAAA')).toMatchObject({
      name: 'approval',
      id: 'AAAAAAAAAAAAAAAAAAAAAA',
    });
  });

  it('answers a wrong method on a known path with 405 and the allowed method', () => {
    expect(byPath('POST', '/admin/health')).toEqual({
      kind: 'method_not_allowed',
      template: '/admin/health',
      method: 'POST',
      allow: 'GET',
    });
    expect(byPath('GET', '/admin/subjects/export')).toMatchObject({
      kind: 'method_not_allowed',
      allow: 'POST',
    });
    expect(byPath('DELETE', '/admin/subjects/erase')).toMatchObject({
      kind: 'method_not_allowed',
      allow: 'POST',
    });
    expect(byPath('GET', '/admin/retention/run')).toMatchObject({
      kind: 'method_not_allowed',
      allow: 'POST',
    });
  });

  it('does not match unknown or partial paths, nor the former routes with a number in the path', () => {
    for (const path of [
      '/admin',
      '/admin/',
      '/admin/nope',
      '/admin/subjects',
      '/admin/approvals',
      '/admin/approvals//x',
      '/admin/subjects/%2B14155550100/messages',
      '/admin/subjects/%2B14155550100',
      '/x/admin/health',
    ]) {
      expect(byPath('GET', path).kind).toBe('not_found');
    }
  });

  it('keeps an id that does not percent-decode as it is (it then names no approval)', () => {
    expect(byPath('POST', '/admin/approvals/%E0%A4%A')).toMatchObject({ id: '%E0%A4%A' });
  });

  it('carries no subject parameter in any route: numbers travel in bodies only (ARCHITECTURE §2)', () => {
    expect(ADMIN_ROUTES.map((r) => `${r.method} ${r.template}`).sort()).toEqual([
      'GET /admin/audit',
      'GET /admin/health',
      'GET /admin/metrics',
      'POST /admin/approvals/{id}',
      'POST /admin/retention/run',
      'POST /admin/subjects/erase',
      'POST /admin/subjects/export',
    ]);
  });

  it('gives each route the roles ARCHITECTURE §2 names', () => {
    expect(Object.fromEntries(ADMIN_ROUTES.map((r) => [r.name, [...r.roles].sort()]))).toEqual({
      health: ['operator', 'privacy', 'reader'],
      metrics: ['operator', 'privacy', 'reader'],
      audit: ['operator', 'privacy', 'reader'],
      subjectExport: ['privacy'],
      subjectErase: ['privacy'],
      approval: ['privacy'],
      retentionRun: ['operator'],
    });
  });
});
