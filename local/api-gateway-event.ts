// Turns a local HTTP request into the API Gateway REST proxy event the Lambda would receive, so the
// same handler code runs unchanged. Shapes follow
// https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html

import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEvent } from 'aws-lambda';
import { mediaType } from '../lambda/shared/http.js';

export const LOCAL_STAGE = 'local';

export interface ResolvedRoute {
  /** The resource template, e.g. `/admin/approvals/{id}`. */
  readonly resource: string;
  readonly pathParameters: Record<string, string> | null;
}

/** Text bodies arrive as strings; anything else base64, as with API Gateway's binary media types. */
function isText(contentType: string | undefined): boolean {
  const type = mediaType(contentType);
  if (type === undefined) return true;
  return (
    type.startsWith('text/') ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/json' ||
    type === 'application/xml' ||
    type.endsWith('+json') ||
    type.endsWith('+xml')
  );
}

// Keys come from the client: `toString`, `constructor` or `__proto__` must be plain own keys, never
// the prototype's members (a lookup of those used to throw and answer 500).
function setOwn<T>(map: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
}

function append(map: Record<string, string[]>, key: string, value: string): void {
  const values = Object.hasOwn(map, key) ? map[key] : undefined;
  if (values) values.push(value);
  else setOwn(map, key, [value]);
}

function headerMaps(rawHeaders: readonly string[]) {
  // rawHeaders keeps the client's spelling and every repeat; API Gateway's single-value map holds
  // the last value of a repeated header.
  const headers: Record<string, string> = {};
  const multiValueHeaders: Record<string, string[]> = {};
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const value = rawHeaders[i + 1] as string;
    setOwn(headers, name, value);
    append(multiValueHeaders, name, value);
  }
  return { headers, multiValueHeaders };
}

function queryMaps(search: string) {
  const params = new URLSearchParams(search);
  const single: Record<string, string> = {};
  const multi: Record<string, string[]> = {};
  for (const [key, value] of params) {
    setOwn(single, key, value);
    append(multi, key, value);
  }
  const any = Object.keys(single).length > 0;
  return { queryStringParameters: any ? single : null, multiValueQueryStringParameters: any ? multi : null };
}

export function toApiGatewayEvent(
  request: IncomingMessage,
  path: string,
  search: string,
  body: Buffer,
  route: ResolvedRoute,
): APIGatewayProxyEvent {
  const { headers, multiValueHeaders } = headerMaps(request.rawHeaders);
  const contentType = request.headers['content-type'];
  const text = isText(contentType);
  const httpMethod = request.method ?? 'GET';
  const now = Date.now();
  return {
    resource: route.resource,
    path,
    httpMethod,
    headers,
    multiValueHeaders,
    ...queryMaps(search),
    pathParameters: route.pathParameters,
    stageVariables: null,
    body: body.length === 0 ? null : body.toString(text ? 'utf8' : 'base64'),
    isBase64Encoded: body.length > 0 && !text,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      authorizer: null,
      protocol: `HTTP/${request.httpVersion}`,
      httpMethod,
      identity: {
        accessKey: null,
        accountId: null,
        apiKey: null,
        apiKeyId: null,
        caller: null,
        clientCert: null,
        cognitoAuthenticationProvider: null,
        cognitoAuthenticationType: null,
        cognitoIdentityId: null,
        cognitoIdentityPoolId: null,
        principalOrgId: null,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        user: null,
        userAgent: request.headers['user-agent'] ?? null,
        userArn: null,
      },
      path: `/${LOCAL_STAGE}${path}`,
      stage: LOCAL_STAGE,
      requestId: randomUUID(),
      requestTimeEpoch: now,
      resourceId: 'local',
      resourcePath: route.resource,
    },
  };
}
