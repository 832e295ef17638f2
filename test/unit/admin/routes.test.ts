import { describe, expect, it } from 'vitest';
import { matchAdminRoute } from '../../../lambda/admin/routes.js';
import { Route } from '../../../lambda/shared/names.js';

const byPath = (httpMethod: string, path: string) => matchAdminRoute({ httpMethod, path });

describe('admin routes', () => {
  it('matches every route by its API Gateway resource template, decoding the phone parameter', () => {
    expect(
      matchAdminRoute({
        httpMethod: 'GET',
        path: '/admin/subjects/%2B14155550100/messages',
        resource: Route.adminSubjectMessages,
        pathParameters: { phone: '%2B14155550100' },
      }),
    ).toEqual({
      kind: 'route',
      name: 'subjectMessages',
      template: Route.adminSubjectMessages,
      method: 'GET',
      phone: '+14155550100',
    });
  });

  it('matches by path where there is no template, with or without a trailing slash', () => {
    expect(byPath('GET', '/admin/health')).toMatchObject({ kind: 'route', name: 'health' });
    expect(byPath('GET', '/admin/metrics/')).toMatchObject({ kind: 'route', name: 'metrics' });
    expect(byPath('POST', '/admin/retention/run')).toMatchObject({ kind: 'route', name: 'retentionRun' });
    expect(byPath('GET', '/admin/audit')).toMatchObject({ kind: 'route', name: 'audit' });
    expect(byPath('DELETE', '/admin/subjects/%2B14155550100')).toMatchObject({
      name: 'subject',
      phone: '+14155550100',
    });
    expect(byPath('GET', '/admin/subjects/+14155550100/messages')).toMatchObject({ phone: '+14155550100' });
  });

  it('answers a wrong method on a known path with 405 and the allowed method', () => {
    expect(byPath('POST', '/admin/health')).toEqual({
      kind: 'method_not_allowed',
      template: Route.adminHealth,
      method: 'POST',
      allow: 'GET',
    });
    expect(byPath('GET', '/admin/subjects/%2B14155550100')).toMatchObject({
      kind: 'method_not_allowed',
      allow: 'DELETE',
    });
    expect(byPath('GET', '/admin/retention/run')).toMatchObject({
      kind: 'method_not_allowed',
      allow: 'POST',
    });
  });

  it('does not match unknown or partial paths', () => {
    for (const path of [
      '/admin',
      '/admin/',
      '/admin/nope',
      '/admin/subjects',
      '/admin/subjects//messages',
      '/x/admin/health',
    ]) {
      expect(byPath('GET', path).kind).toBe('not_found');
    }
  });

  it('keeps a parameter that does not percent-decode as it is (it then fails E.164 validation)', () => {
    expect(byPath('DELETE', '/admin/subjects/%E0%A4%A')).toMatchObject({ phone: '%E0%A4%A' });
  });
});
