// A small model of one environment's synthesized templates, read the way CloudFormation and AWS read them:
// references followed across stacks (Ref, Fn::GetAtt, Fn::ImportValue, Fn::GetStackOutput), IAM statements
// matched with IAM's wildcards, security-group rules evaluated per port and CIDR.

/** CloudFormation JSON is untyped; the checks index into it freely. */
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON has no static type
export type Json = any;

export interface CfnResource {
  Type: string;
  Properties?: Json;
  DependsOn?: string | string[];
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
  Outputs?: Record<string, { Value: Json; Export?: { Name: Json } }>;
}

/** Every stack of one environment, by stack name, with the deploy order the cloud assembly declares. */
export interface AppTemplates {
  readonly region: string;
  readonly stacks: Record<string, CfnTemplate>;
  /** Stack name → the stacks it deploys after (the assembly's dependencies, stacks only). */
  readonly dependencies: Record<string, readonly string[]>;
}

export interface Ref {
  readonly stack: string;
  readonly id: string;
  readonly attr?: string;
}

export const sameRef = (a: Ref | undefined, b: Ref | undefined): boolean =>
  !!a && !!b && a.stack === b.stack && a.id === b.id;

export const refName = (r: Ref): string => `${r.stack}/${r.id}`;

export function resourceOf(app: AppTemplates, ref: Ref): CfnResource | undefined {
  return app.stacks[ref.stack]?.Resources[ref.id];
}

/** Every resource of `type` across the stacks. */
export function resourcesOfType(app: AppTemplates, type: string): Array<Ref & { resource: CfnResource }> {
  return Object.entries(app.stacks).flatMap(([stack, t]) =>
    Object.entries(t.Resources)
      .filter(([, r]) => r.Type === type)
      .map(([id, resource]) => ({ stack, id, resource })),
  );
}

/** The resource a value points at, following cross-stack references to the exporting stack. */
export function resolve(app: AppTemplates, stack: string, value: Json): Ref | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (typeof value.Ref === 'string') {
    return app.stacks[stack]?.Resources[value.Ref] ? { stack, id: value.Ref } : undefined;
  }
  if (Array.isArray(value['Fn::GetAtt'])) {
    const [id, attr] = value['Fn::GetAtt'] as [string, string];
    return app.stacks[stack]?.Resources[id] ? { stack, id, attr } : undefined;
  }
  if (value['Fn::ImportValue'] !== undefined) {
    for (const [name, t] of Object.entries(app.stacks)) {
      for (const output of Object.values(t.Outputs ?? {})) {
        if (output.Export?.Name === value['Fn::ImportValue']) return resolve(app, name, output.Value);
      }
    }
    return undefined;
  }
  const get = value['Fn::GetStackOutput'];
  if (get && typeof get.StackName === 'string') {
    const output = app.stacks[get.StackName]?.Outputs?.[get.OutputName];
    return output ? resolve(app, get.StackName, output.Value) : undefined;
  }
  return undefined;
}

/** Every reference anywhere inside `value` (e.g. the parts of an Fn::Join), resolved. */
export function referencesIn(app: AppTemplates, stack: string, value: Json): Ref[] {
  const direct = resolve(app, stack, value);
  if (direct) return [direct];
  if (value === null || typeof value !== 'object') return [];
  return (Array.isArray(value) ? value : Object.values(value)).flatMap((v) => referencesIn(app, stack, v));
}

export const asArray = <T>(v: T | T[] | undefined): T[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

// --- IAM -------------------------------------------------------------------------------------------------

export interface Statement {
  Effect: 'Allow' | 'Deny';
  Action?: string | string[];
  Principal?: Json;
  Resource?: Json;
  Condition?: Json;
}

/** IAM action matching: case-insensitive, `*` and `?` wildcards. */
export function actionMatches(pattern: string, action: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return re.test(action);
}

/** Whether a statement's Resource covers `target` (a wildcard, or a value that references it). */
export function resourceCovers(app: AppTemplates, stack: string, resource: Json, target: Ref): boolean {
  return asArray(resource).some(
    (r) => r === '*' || referencesIn(app, stack, r).some((ref) => sameRef(ref, target)),
  );
}

/** Identity-policy statements of a role: its AWS::IAM::Policy resources and inline policies. */
export function roleStatements(app: AppTemplates, role: Ref): Statement[] {
  const inline = asArray(resourceOf(app, role)?.Properties?.Policies).flatMap((p: Json) =>
    asArray(p.PolicyDocument?.Statement),
  );
  const attached = resourcesOfType(app, 'AWS::IAM::Policy')
    .filter((p) => asArray(p.resource.Properties?.Roles).some((r) => sameRef(resolve(app, p.stack, r), role)))
    .flatMap((p) => asArray(p.resource.Properties?.PolicyDocument?.Statement));
  return [...inline, ...attached] as Statement[];
}

/** A role's statements allow `action` on `target` (or on anything, when target is omitted). */
export function roleAllows(app: AppTemplates, role: Ref, action: string, target?: Ref): boolean {
  return roleStatements(app, role).some(
    (s) =>
      s.Effect === 'Allow' &&
      asArray(s.Action).some((a) => actionMatches(a, action)) &&
      (!target || resourceCovers(app, role.stack, s.Resource, target)),
  );
}

/** The service principals a statement names; `*` and `{"AWS": "*"}` name every principal. */
const principalServices = (principal: Json): string[] =>
  principal === '*' || asArray(principal?.AWS).includes('*')
    ? ['*']
    : asArray(principal?.Service).filter((s): s is string => typeof s === 'string');

/**
 * A Deny that only refuses plain-HTTP requests (aws:SecureTransport = false) never stops an AWS service,
 * which always calls over TLS; any other Deny naming the service or `*` counts.
 */
function denyApplies(s: Statement, service: string): boolean {
  if (s.Effect !== 'Deny') return false;
  if (!principalServices(s.Principal).some((p) => p === '*' || p === service)) return false;
  const condition = s.Condition ?? {};
  const onlyTls =
    Object.keys(condition).length === 1 &&
    condition.Bool &&
    Object.keys(condition.Bool).length === 1 &&
    String(condition.Bool['aws:SecureTransport']) === 'false';
  return !onlyTls;
}

/** A resource policy lets `service` perform `action` (an Allow naming it, no Deny that applies). */
export function resourcePolicyAllowsService(
  statements: Statement[],
  service: string,
  action: string,
): boolean {
  const matching = statements.filter((s) => asArray(s.Action).some((a) => actionMatches(a, action)));
  const allowed = matching.some(
    (s) => s.Effect === 'Allow' && principalServices(s.Principal).some((p) => p === '*' || p === service),
  );
  return allowed && !matching.some((s) => denyApplies(s, service));
}

// --- Networking -------------------------------------------------------------------------------------------

export interface SgRule {
  readonly protocol: string;
  readonly from: number;
  readonly to: number;
  readonly cidr?: string;
  readonly peer?: Ref;
}

function ipv4(cidr: string): { base: number; bits: number } | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr);
  if (!m) return undefined;
  const base = m.slice(1, 5).reduce((acc, o) => acc * 256 + Number(o), 0);
  return { base, bits: Number(m[5]) };
}

/** `outer` contains every address of `inner`. */
export function cidrContains(outer: string, inner: string): boolean {
  const o = ipv4(outer);
  const i = ipv4(inner);
  if (!o || !i || i.bits < o.bits) return false;
  const size = 2 ** (32 - o.bits);
  return Math.floor(i.base / size) === Math.floor(o.base / size);
}

/** A CIDR literal, or a reference to a VPC's or subnet's CidrBlock. */
function cidrOf(app: AppTemplates, stack: string, value: Json): string | undefined {
  if (typeof value === 'string') return value;
  const ref = resolve(app, stack, value);
  const props = ref && resourceOf(app, ref)?.Properties;
  return typeof props?.CidrBlock === 'string' ? props.CidrBlock : undefined;
}

/** RDS's default port per engine family (a DBInstance without `Port` listens there). */
const DEFAULT_DB_PORT: Record<string, number> = { postgres: 5432, mysql: 3306, mariadb: 3306 };

/** A port literal, or a reference to a DB instance's Endpoint.Port (its Port, else the engine's default). */
function portOf(app: AppTemplates, stack: string, value: Json, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' || typeof value === 'string') return Number(value);
  const ref = resolve(app, stack, value);
  const props = ref && resourceOf(app, ref)?.Properties;
  if (ref?.attr === 'Endpoint.Port' && props)
    return Number(props.Port ?? DEFAULT_DB_PORT[props.Engine] ?? Number.NaN);
  return Number.NaN;
}

function toRule(app: AppTemplates, stack: string, raw: Json, direction: 'in' | 'out'): SgRule {
  const peerValue = direction === 'out' ? raw.DestinationSecurityGroupId : raw.SourceSecurityGroupId;
  return {
    protocol: String(raw.IpProtocol),
    from: portOf(app, stack, raw.FromPort, 0),
    to: portOf(app, stack, raw.ToPort, 65535),
    cidr: raw.CidrIp !== undefined ? cidrOf(app, stack, raw.CidrIp) : undefined,
    peer: peerValue !== undefined ? resolve(app, stack, peerValue) : undefined,
  };
}

/** A group's rules: inline ones plus standalone SecurityGroupIngress/Egress resources in any stack. */
export function securityGroupRules(app: AppTemplates, group: Ref): { ingress: SgRule[]; egress: SgRule[] } {
  const props = resourceOf(app, group)?.Properties ?? {};
  const standalone = (type: string, direction: 'in' | 'out') =>
    resourcesOfType(app, type)
      .filter((r) => sameRef(resolve(app, r.stack, r.resource.Properties?.GroupId), group))
      .map((r) => toRule(app, r.stack, r.resource.Properties, direction));
  return {
    ingress: [
      ...asArray(props.SecurityGroupIngress).map((r: Json) => toRule(app, group.stack, r, 'in')),
      ...standalone('AWS::EC2::SecurityGroupIngress', 'in'),
    ],
    egress: [
      ...asArray(props.SecurityGroupEgress).map((r: Json) => toRule(app, group.stack, r, 'out')),
      ...standalone('AWS::EC2::SecurityGroupEgress', 'out'),
    ],
  };
}

const coversPort = (rule: SgRule, port: number) =>
  (rule.protocol === '-1' || rule.protocol === 'tcp' || rule.protocol === '6') &&
  rule.from <= port &&
  port <= rule.to;

/**
 * TCP `port` from any of `fromGroups` (placed in `fromCidrs`) to any of `toGroups` (placed in `toCidrs`) is
 * allowed by both sides: an egress rule of a source group naming a target group or a CIDR holding every
 * target address, and an ingress rule of that target group naming a source group or the source CIDRs.
 */
export function tcpAllowed(
  app: AppTemplates,
  from: { groups: Ref[]; cidrs: string[] },
  to: { groups: Ref[]; cidrs: string[] },
  port: number,
): boolean {
  const out = from.groups.some((g) =>
    securityGroupRules(app, g).egress.some(
      (r) =>
        coversPort(r, port) &&
        ((r.peer && to.groups.some((t) => sameRef(t, r.peer))) ||
          (r.cidr !== undefined &&
            to.cidrs.length > 0 &&
            to.cidrs.every((c) => cidrContains(r.cidr as string, c)))),
    ),
  );
  const inbound = to.groups.some((g) =>
    securityGroupRules(app, g).ingress.some(
      (r) =>
        coversPort(r, port) &&
        ((r.peer && from.groups.some((f) => sameRef(f, r.peer))) ||
          (r.cidr !== undefined &&
            from.cidrs.length > 0 &&
            from.cidrs.every((c) => cidrContains(r.cidr as string, c)))),
    ),
  );
  return out && inbound;
}

/** The CIDR blocks of the subnets a list of subnet references names. */
export function subnetCidrs(app: AppTemplates, stack: string, subnets: Json): string[] {
  return asArray(subnets)
    .map((s) => cidrOf(app, stack, s))
    .filter((c): c is string => c !== undefined);
}
