// The deploy rehearsal's semantic checks. Each reads the synthesized templates of one environment and
// returns the problems AWS would hit at deploy or run time (empty: none). Expectations come from AWS's
// documented behaviour (cited per rule), never from our code's constants.
import {
  type AppTemplates,
  asArray,
  type Json,
  type Ref,
  referencesIn,
  refName,
  resolve,
  resourceCovers,
  resourceOf,
  resourcePolicyAllowsService,
  resourcesOfType,
  roleAllows,
  roleStatements,
  type Statement,
  sameRef,
  subnetCidrs,
  tcpAllowed,
} from './cfn-model.js';

/** HTTPS: every AWS API, interface endpoints included. */
const HTTPS = 443;
/** RDS for PostgreSQL's and RDS Proxy's default port (neither template sets another). */
const POSTGRES = 5432;

/**
 * IAM action prefix → interface endpoint service name (com.amazonaws.<region>.<name>), for the services a
 * function in an isolated subnet (no NAT) calls over the network. Per AWS: CloudWatch's API is the
 * `monitoring` endpoint; `logs` is CloudWatch Logs.
 */
const ENDPOINT_SERVICE: Record<string, string> = {
  secretsmanager: 'secretsmanager',
  kms: 'kms',
  sqs: 'sqs',
  cloudwatch: 'monitoring',
  logs: 'logs',
  ssm: 'ssm',
  sns: 'sns',
  events: 'events',
  lambda: 'lambda',
  sts: 'sts',
};

/**
 * Actions in a function's role that the Lambda service performs with it, never the function's code from its
 * network interface: delivering the function's logs, sending active tracing's segments (our code has no
 * X-Ray SDK), attaching the function's network interfaces. And rds-db: an IAM auth token is signed locally;
 * the connection itself is the database path below.
 */
const LAMBDA_SERVICE_ACTIONS = new Set(
  [
    'logs:CreateLogGroup',
    'logs:CreateLogStream',
    'logs:PutLogEvents',
    'xray:PutTraceSegments',
    'xray:PutTelemetryRecords',
    'ec2:CreateNetworkInterface',
    'ec2:DescribeNetworkInterfaces',
    'ec2:DescribeSubnets',
    'ec2:DeleteNetworkInterface',
    'ec2:AssignPrivateIpAddresses',
    'ec2:UnassignPrivateIpAddresses',
  ].map((a) => a.toLowerCase()),
);
const NOT_FROM_FUNCTION_NETWORK = new Set(['rds-db']);

interface VpcFunction {
  readonly ref: Ref;
  readonly groups: Ref[];
  readonly cidrs: string[];
  readonly role?: Ref;
  readonly props: Json;
}

function vpcFunctions(app: AppTemplates): VpcFunction[] {
  return resourcesOfType(app, 'AWS::Lambda::Function')
    .filter((f) => f.resource.Properties?.VpcConfig)
    .map((f) => {
      const vpc = f.resource.Properties.VpcConfig;
      return {
        ref: { stack: f.stack, id: f.id },
        groups: asArray(vpc.SecurityGroupIds)
          .map((g) => resolve(app, f.stack, g))
          .filter((g): g is Ref => !!g),
        cidrs: subnetCidrs(app, f.stack, vpc.SubnetIds),
        role: resolve(app, f.stack, f.resource.Properties.Role),
        props: f.resource.Properties,
      };
    });
}

const groupsOf = (app: AppTemplates, stack: string, ids: Json): Ref[] =>
  asArray(ids)
    .map((g) => resolve(app, stack, g))
    .filter((g): g is Ref => !!g);

/**
 * (a) Reachability. For every function in the VPC: each AWS service its role may call has an interface
 * endpoint with private DNS (otherwise the SDK resolves the public name, which an isolated subnet cannot
 * reach) that the function's groups may reach on 443 and whose group admits them; and the database path:
 * a function with rds-db:connect reaches what the grant names (RDS Proxy, which reaches the instance; or
 * the instance itself, which must accept IAM auth); a function configured with the instance's own endpoint
 * (the migration) reaches the instance.
 */
export function checkReachability(app: AppTemplates): string[] {
  const problems: string[] = [];
  const endpoints = resourcesOfType(app, 'AWS::EC2::VPCEndpoint');
  const proxies = resourcesOfType(app, 'AWS::RDS::DBProxy');
  for (const fn of vpcFunctions(app)) {
    const name = refName(fn.ref);
    if (fn.groups.length === 0) problems.push(`${name}: in the VPC without a security group`);
    const statements = fn.role ? roleStatements(app, fn.role) : [];
    const services = new Set(
      statements
        .filter((s) => s.Effect === 'Allow')
        .flatMap((s) => asArray(s.Action))
        .filter((a) => !LAMBDA_SERVICE_ACTIONS.has(String(a).toLowerCase()))
        .map((a) => String(a).split(':')[0]?.toLowerCase() ?? ''),
    );
    for (const service of [...services].sort()) {
      if (NOT_FROM_FUNCTION_NETWORK.has(service)) continue;
      const endpointName = ENDPOINT_SERVICE[service];
      if (!endpointName) {
        problems.push(`${name}: may call ${service}, which has no known interface endpoint mapping`);
        continue;
      }
      const serviceName = `com.amazonaws.${app.region}.${endpointName}`;
      const candidates = endpoints.filter(
        (e) =>
          e.resource.Properties?.ServiceName === serviceName &&
          e.resource.Properties?.VpcEndpointType === 'Interface',
      );
      if (candidates.length === 0) {
        problems.push(`${name}: may call ${service} but the VPC has no ${serviceName} interface endpoint`);
        continue;
      }
      const reachable = candidates.some(
        (e) =>
          e.resource.Properties.PrivateDnsEnabled === true &&
          tcpAllowed(
            app,
            { groups: fn.groups, cidrs: fn.cidrs },
            {
              groups: groupsOf(app, e.stack, e.resource.Properties.SecurityGroupIds),
              cidrs: subnetCidrs(app, e.stack, e.resource.Properties.SubnetIds),
            },
            HTTPS,
          ),
      );
      if (!reachable) {
        problems.push(
          `${name}: may call ${service} but cannot reach the ${serviceName} endpoint (private DNS and 443 out of its groups, into the endpoint's group)`,
        );
      }
    }

    // The database path follows the rds-db:connect grant: IAM evaluates it against
    // arn:…:rds-db:region:account:dbuser:<resource id>/<user> (Service Authorization Reference, RDS IAM
    // Authentication), the resource id being the proxy's (prx-…) or the instance's DbiResourceId. So the grant
    // names what the function logs in to, and that must be reachable on 5432.
    const connectResources = statements
      .filter(
        (s) =>
          s.Effect === 'Allow' && asArray(s.Action).some((a) => String(a).toLowerCase() === 'rds-db:connect'),
      )
      .flatMap((s) => asArray(s.Resource));
    if (connectResources.length > 0) {
      const targets = connectResources
        .flatMap((res) => referencesIn(app, fn.role?.stack ?? fn.ref.stack, res))
        .filter((r) =>
          ['AWS::RDS::DBProxy', 'AWS::RDS::DBInstance'].includes(resourceOf(app, r)?.Type ?? ''),
        );
      if (targets.length === 0) {
        problems.push(`${name}: has rds-db:connect on no RDS Proxy or instance of the app`);
      }
      for (const target of targets.filter((t, i) => targets.findIndex((u) => sameRef(u, t)) === i)) {
        const resource = resourceOf(app, target);
        if (resource?.Type === 'AWS::RDS::DBProxy') {
          const groups = groupsOf(app, target.stack, resource.Properties?.VpcSecurityGroupIds);
          const cidrs = subnetCidrs(app, target.stack, resource.Properties?.VpcSubnetIds);
          if (!tcpAllowed(app, { groups: fn.groups, cidrs: fn.cidrs }, { groups, cidrs }, POSTGRES)) {
            problems.push(`${name}: has rds-db:connect but cannot reach RDS Proxy on ${POSTGRES}`);
          }
          continue;
        }
        // Straight to the instance: the grant must name its DbiResourceId (its Ref is the identifier, which
        // IAM does not match), the instance must accept IAM tokens, and the function must reach it.
        if (target.attr !== 'DbiResourceId') {
          problems.push(
            `${name}: its rds-db:connect names ${refName(target)} by ${target.attr ?? 'Ref'}, not its DbiResourceId`,
          );
        }
        if (resource?.Properties?.EnableIAMDatabaseAuthentication !== true) {
          problems.push(
            `${name}: logs in to ${refName(target)} with IAM, which does not enable IAM database authentication`,
          );
        }
        const groups = groupsOf(app, target.stack, resource?.Properties?.VPCSecurityGroups);
        if (!tcpAllowed(app, { groups: fn.groups, cidrs: fn.cidrs }, { groups, cidrs: [] }, POSTGRES)) {
          problems.push(
            `${name}: has rds-db:connect to ${refName(target)} but cannot reach it on ${POSTGRES}`,
          );
        }
      }
    }
    const instanceHost = Object.values(fn.props.Environment?.Variables ?? {})
      .map((v) => resolve(app, fn.ref.stack, v))
      .find((r) => r?.attr === 'Endpoint.Address' && resourceOf(app, r)?.Type === 'AWS::RDS::DBInstance');
    if (instanceHost) {
      const instance = resourceOf(app, instanceHost);
      const groups = groupsOf(app, instanceHost.stack, instance?.Properties?.VPCSecurityGroups);
      if (!tcpAllowed(app, { groups: fn.groups, cidrs: fn.cidrs }, { groups, cidrs: [] }, POSTGRES)) {
        problems.push(`${name}: is configured with the instance endpoint but cannot reach it on ${POSTGRES}`);
      }
    }
  }
  for (const proxy of proxies) {
    const groups = groupsOf(app, proxy.stack, proxy.resource.Properties?.VpcSecurityGroupIds);
    const cidrs = subnetCidrs(app, proxy.stack, proxy.resource.Properties?.VpcSubnetIds);
    for (const target of resourcesOfType(app, 'AWS::RDS::DBProxyTargetGroup')) {
      if (!sameRef(resolve(app, target.stack, target.resource.Properties?.DBProxyName), proxy)) continue;
      for (const id of asArray(target.resource.Properties?.DBInstanceIdentifiers)) {
        const instance = resolve(app, target.stack, id);
        const instanceGroups = instance
          ? groupsOf(app, instance.stack, resourceOf(app, instance)?.Properties?.VPCSecurityGroups)
          : [];
        if (!tcpAllowed(app, { groups, cidrs }, { groups: instanceGroups, cidrs: [] }, POSTGRES)) {
          problems.push(`${refName(proxy)}: cannot reach its target instance on ${POSTGRES}`);
        }
      }
    }
  }
  return problems;
}

/** Topic → may `service` publish to it: its topic policy (which replaces SNS's default one) and its key. */
function publishProblems(app: AppTemplates, topic: Ref, service: string, from: string): string[] {
  const problems: string[] = [];
  const policies = resourcesOfType(app, 'AWS::SNS::TopicPolicy').filter((p) =>
    asArray(p.resource.Properties?.Topics).some((t) => sameRef(resolve(app, p.stack, t), topic)),
  );
  // Without a topic policy SNS's default one lets the owning account's services publish; an explicit policy
  // replaces it, so it must name the service (ARCHITECTURE §9).
  if (policies.length > 0) {
    const statements = policies.flatMap((p) =>
      asArray(p.resource.Properties?.PolicyDocument?.Statement).filter((s: Statement) =>
        resourceCovers(app, p.stack, s.Resource ?? '*', topic),
      ),
    ) as Statement[];
    if (!resourcePolicyAllowsService(statements, service, 'sns:Publish')) {
      problems.push(`${from} → ${refName(topic)}: the topic policy does not let ${service} publish`);
    }
  }
  const keyRef = resolve(app, topic.stack, resourceOf(app, topic)?.Properties?.KmsMasterKeyId);
  if (keyRef) {
    const statements = asArray(resourceOf(app, keyRef)?.Properties?.KeyPolicy?.Statement) as Statement[];
    for (const action of ['kms:GenerateDataKey', 'kms:Decrypt']) {
      if (!resourcePolicyAllowsService(statements, service, action)) {
        problems.push(
          `${from} → ${refName(topic)}: the topic's key policy does not allow ${service} ${action}`,
        );
      }
    }
  }
  return problems;
}

/** A Lambda permission for `service` on `fn`, scoped to our account or a source ARN (confused deputy). */
function invokePermissions(app: AppTemplates, fn: Ref, service: string) {
  return resourcesOfType(app, 'AWS::Lambda::Permission').filter(
    (p) =>
      p.resource.Properties?.Principal === service &&
      String(p.resource.Properties?.Action).toLowerCase() === 'lambda:invokefunction' &&
      sameRef(resolve(app, p.stack, p.resource.Properties?.FunctionName), fn),
  );
}

/** How `rendered` writes a reference: no `/`, so ARN paths still split on it. */
const token = (ref: Ref) => `{${ref.stack}:${ref.id}}`;

/** A SourceArn rendered with each reference as `{stack:id}`, so it can be compared with a method's ARN. */
function rendered(app: AppTemplates, stack: string, value: Json): string {
  if (typeof value === 'string') return value;
  const ref = resolve(app, stack, value);
  if (ref) return token(ref);
  if (value?.['Fn::Join']) {
    const [sep, parts] = value['Fn::Join'] as [string, Json[]];
    return parts.map((p) => rendered(app, stack, p)).join(sep);
  }
  return '{?}';
}

function globMatches(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
  );
  return re.test(text);
}

function methodPath(app: AppTemplates, stack: string, resourceId: Json): string {
  const ref = resolve(app, stack, resourceId);
  const res = ref && resourceOf(app, ref);
  if (!ref || res?.Type !== 'AWS::ApiGateway::Resource') return '';
  return `${methodPath(app, ref.stack, res.Properties.ParentId)}/${res.Properties.PathPart}`;
}

/**
 * (b) Resource policies of every service-to-service integration: alarm → topic and EventBridge → topic
 * (topic policy and key policy), API Gateway → Lambda, SQS → Lambda (the poller uses the function's role),
 * Secrets Manager → rotation function, RDS Proxy → instance with IAM, WAF and CloudWatch Logs → their
 * destinations and keys.
 */
export function checkIntegrations(app: AppTemplates): string[] {
  const problems: string[] = [];
  const isTopic = (r: Ref | undefined): r is Ref => !!r && resourceOf(app, r)?.Type === 'AWS::SNS::Topic';

  for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
    for (const alarm of resourcesOfType(app, type)) {
      const p = alarm.resource.Properties ?? {};
      const topics = [
        ...asArray(p.AlarmActions),
        ...asArray(p.OKActions),
        ...asArray(p.InsufficientDataActions),
      ]
        .map((a) => resolve(app, alarm.stack, a))
        .filter(isTopic);
      const unique = topics.filter((t, i) => topics.findIndex((u) => sameRef(u, t)) === i);
      for (const topic of unique) {
        problems.push(...publishProblems(app, topic, 'cloudwatch.amazonaws.com', refName(alarm)));
      }
    }
  }
  for (const rule of resourcesOfType(app, 'AWS::Events::Rule')) {
    for (const target of asArray(rule.resource.Properties?.Targets)) {
      const topic = resolve(app, rule.stack, (target as Json).Arn);
      if (isTopic(topic))
        problems.push(...publishProblems(app, topic, 'events.amazonaws.com', refName(rule)));
    }
  }

  const stages = new Set(['*']);
  for (const stage of resourcesOfType(app, 'AWS::ApiGateway::Stage')) {
    stages.add(token(stage));
    if (typeof stage.resource.Properties?.StageName === 'string')
      stages.add(stage.resource.Properties.StageName);
  }
  for (const method of resourcesOfType(app, 'AWS::ApiGateway::Method')) {
    const integration = method.resource.Properties?.Integration;
    if (integration?.Type !== 'AWS_PROXY') continue;
    const fn = referencesIn(app, method.stack, integration.Uri).find(
      (r) => resourceOf(app, r)?.Type === 'AWS::Lambda::Function',
    );
    if (!fn) continue;
    const api = resolve(app, method.stack, method.resource.Properties.RestApiId) as Ref;
    const verb =
      method.resource.Properties.HttpMethod === 'ANY' ? '*' : method.resource.Properties.HttpMethod;
    const path = methodPath(app, method.stack, method.resource.Properties.ResourceId) || '/';
    const covered = invokePermissions(app, fn, 'apigateway.amazonaws.com').some((perm) => {
      const arn = rendered(app, perm.stack, perm.resource.Properties.SourceArn);
      const marker = `${token(api)}/`;
      const at = arn.indexOf(marker);
      if (at < 0) return false;
      // <stage>/<verb>/<path>: the deployed stage (by reference or name) or any stage.
      const [stage, ...rest] = arn.slice(at + marker.length).split('/');
      return stage !== undefined && stages.has(stage) && globMatches(rest.join('/'), `${verb}${path}`);
    });
    if (!covered) {
      problems.push(`${refName(method)}: API Gateway may not invoke ${refName(fn)} for ${verb} ${path}`);
    }
  }

  for (const mapping of resourcesOfType(app, 'AWS::Lambda::EventSourceMapping')) {
    const queue = resolve(app, mapping.stack, mapping.resource.Properties?.EventSourceArn);
    const fn = resolve(app, mapping.stack, mapping.resource.Properties?.FunctionName);
    if (!queue || resourceOf(app, queue)?.Type !== 'AWS::SQS::Queue' || !fn) continue;
    const role = resolve(app, fn.stack, resourceOf(app, fn)?.Properties?.Role);
    // The Lambda poller receives and deletes with the function's role (Lambda developer guide, SQS).
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes']) {
      if (!role || !roleAllows(app, role, action, queue)) {
        problems.push(`${refName(mapping)}: the role of ${refName(fn)} lacks ${action} on ${refName(queue)}`);
      }
    }
    const key = resolve(app, queue.stack, resourceOf(app, queue)?.Properties?.KmsMasterKeyId);
    if (key && (!role || !roleAllows(app, role, 'kms:Decrypt', key))) {
      problems.push(
        `${refName(mapping)}: the role of ${refName(fn)} cannot decrypt ${refName(queue)} (kms:Decrypt)`,
      );
    }
  }

  for (const schedule of resourcesOfType(app, 'AWS::SecretsManager::RotationSchedule')) {
    const fn = resolve(app, schedule.stack, schedule.resource.Properties?.RotationLambdaARN);
    if (!fn) continue;
    const permissions = invokePermissions(app, fn, 'secretsmanager.amazonaws.com');
    if (permissions.length === 0) {
      problems.push(`${refName(schedule)}: Secrets Manager may not invoke ${refName(fn)}`);
    } else if (
      !permissions.every(
        (p) =>
          p.resource.Properties.SourceAccount !== undefined || p.resource.Properties.SourceArn !== undefined,
      )
    ) {
      problems.push(
        `${refName(schedule)}: the invoke permission of ${refName(fn)} has no SourceAccount/SourceArn`,
      );
    }
    const secret = resolve(app, schedule.stack, schedule.resource.Properties?.SecretId);
    const role = resolve(app, fn.stack, resourceOf(app, fn)?.Properties?.Role);
    for (const action of [
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:DescribeSecret',
      'secretsmanager:UpdateSecretVersionStage',
    ]) {
      if (!secret || !role || !roleAllows(app, role, action, secret)) {
        problems.push(`${refName(schedule)}: the rotation role lacks ${action} on its secret`);
      }
    }
  }

  // RDS Proxy with end-to-end IAM: its role connects to the instance as every user a client connects as.
  for (const proxy of resourcesOfType(app, 'AWS::RDS::DBProxy')) {
    if (proxy.resource.Properties?.DefaultAuthScheme !== 'IAM_AUTH') continue;
    const role = resolve(app, proxy.stack, proxy.resource.Properties.RoleArn);
    const proxyRef = { stack: proxy.stack, id: proxy.id };
    const users = new Set<string>();
    for (const r of resourcesOfType(app, 'AWS::IAM::Policy')) {
      for (const s of asArray(r.resource.Properties?.PolicyDocument?.Statement) as Statement[]) {
        if (!asArray(s.Action).includes('rds-db:connect')) continue;
        for (const res of asArray(s.Resource)) {
          if (!referencesIn(app, r.stack, res).some((x) => sameRef(x, proxyRef))) continue;
          const user = /\/([^/]+)$/.exec(rendered(app, r.stack, res))?.[1];
          if (user) users.add(user);
        }
      }
    }
    const instances = resourcesOfType(app, 'AWS::RDS::DBProxyTargetGroup')
      .filter((t) => sameRef(resolve(app, t.stack, t.resource.Properties?.DBProxyName), proxyRef))
      .flatMap((t) =>
        asArray(t.resource.Properties?.DBInstanceIdentifiers).map((i) => resolve(app, t.stack, i)),
      )
      .filter((i): i is Ref => !!i);
    for (const instance of instances) {
      if (resourceOf(app, instance)?.Properties?.EnableIAMDatabaseAuthentication !== true) {
        problems.push(
          `${refName(proxyRef)}: IAM auth to ${refName(instance)}, which does not enable IAM database authentication`,
        );
      }
      const statements = role ? roleStatements(app, role) : [];
      for (const user of [...users].sort()) {
        const allowed = statements.some(
          (s) =>
            s.Effect === 'Allow' &&
            asArray(s.Action).some((a) => String(a).toLowerCase() === 'rds-db:connect') &&
            asArray(s.Resource).some((res) => {
              const text = rendered(app, role?.stack ?? proxy.stack, res);
              return text.includes(token(instance)) && text.endsWith(`/${user}`);
            }),
        );
        if (!allowed) {
          problems.push(
            `${refName(proxyRef)}: its role may not rds-db:connect to ${refName(instance)} as ${user}`,
          );
        }
      }
    }
  }

  // WAF delivers logs to CloudWatch Logs only into log groups named aws-waf-logs-… (WAF developer guide).
  for (const logging of resourcesOfType(app, 'AWS::WAFv2::LoggingConfiguration')) {
    for (const destination of asArray(logging.resource.Properties?.LogDestinationConfigs)) {
      const group = referencesIn(app, logging.stack, destination).find(
        (r) => resourceOf(app, r)?.Type === 'AWS::Logs::LogGroup',
      );
      const name = group && resourceOf(app, group)?.Properties?.LogGroupName;
      if (typeof name !== 'string' || !name.startsWith('aws-waf-logs-')) {
        problems.push(
          `${refName(logging)}: WAF logs to a log group not named aws-waf-logs-… (${String(name)})`,
        );
      }
    }
  }
  // CloudWatch Logs encrypts a group with a CMK only if the key lets the regional logs service use it.
  for (const group of resourcesOfType(app, 'AWS::Logs::LogGroup')) {
    const key = resolve(app, group.stack, group.resource.Properties?.KmsKeyId);
    if (!key) continue;
    const statements = asArray(resourceOf(app, key)?.Properties?.KeyPolicy?.Statement) as Statement[];
    const service = `logs.${app.region}.amazonaws.com`;
    for (const action of ['kms:Encrypt', 'kms:Decrypt', 'kms:GenerateDataKey']) {
      if (!resourcePolicyAllowsService(statements, service, action)) {
        problems.push(`${refName(group)}: its key policy does not allow ${service} ${action}`);
      }
    }
  }
  return problems;
}

/** Transitive stack dependencies from the assembly. */
function deploysAfter(app: AppTemplates, stack: string, other: string, seen = new Set<string>()): boolean {
  for (const dep of app.dependencies[stack] ?? []) {
    if (dep === other) return true;
    if (!seen.has(dep)) {
      seen.add(dep);
      if (deploysAfter(app, dep, other, seen)) return true;
    }
  }
  return false;
}

/** Resource-level DependsOn, transitively within one stack. */
function dependsOn(app: AppTemplates, from: Ref, target: Ref, seen = new Set<string>()): boolean {
  if (from.stack !== target.stack) return false;
  for (const dep of asArray(resourceOf(app, from)?.DependsOn)) {
    if (dep === target.id) return true;
    if (!seen.has(dep)) {
      seen.add(dep);
      if (dependsOn(app, { stack: from.stack, id: dep }, target, seen)) return true;
    }
  }
  return false;
}

/**
 * (c) Deploy order. A rotation schedule rotates as soon as it is created (Secrets Manager: "rotates the
 * secret immediately"): so every scheduled secret must hold a usable value at creation — generated by
 * Secrets Manager, never a literal placeholder from the template — and a database secret's rotation must
 * wait for the migration trigger (which creates the roles it logs in as). The trigger runs after the
 * instance; every stack whose functions log in to the database deploys after the stack with the trigger.
 */
export function checkDeployOrder(app: AppTemplates): string[] {
  const problems: string[] = [];
  const triggers = resourcesOfType(app, 'Custom::Trigger');
  const instances = resourcesOfType(app, 'AWS::RDS::DBInstance');
  for (const schedule of resourcesOfType(app, 'AWS::SecretsManager::RotationSchedule')) {
    const secret = resolve(app, schedule.stack, schedule.resource.Properties?.SecretId);
    // A schedule on an attachment rotates the attached secret.
    const attachment =
      secret && resourceOf(app, secret)?.Type === 'AWS::SecretsManager::SecretTargetAttachment'
        ? secret
        : undefined;
    const target = attachment
      ? resolve(app, attachment.stack, resourceOf(app, attachment)?.Properties?.SecretId)
      : secret;
    const props = target ? resourceOf(app, target)?.Properties : undefined;
    if (!props || props.SecretString !== undefined || props.GenerateSecretString === undefined) {
      problems.push(
        `${refName(schedule)}: rotates ${target ? refName(target) : 'a secret'} at creation, whose first value is not generated (a template literal or placeholder)`,
      );
    }
    const isDatabase =
      schedule.resource.Properties?.HostedRotationLambda?.RotationType?.startsWith('PostgreSQL') ||
      (attachment && resourceOf(app, attachment)?.Properties?.TargetType === 'AWS::RDS::DBInstance');
    if (isDatabase) {
      const after = triggers.some(
        (t) =>
          dependsOn(app, { stack: schedule.stack, id: schedule.id }, t) ||
          deploysAfter(app, schedule.stack, t.stack),
      );
      if (!after)
        problems.push(`${refName(schedule)}: a database rotation that can run before the migration`);
    }
  }
  for (const trigger of triggers) {
    const afterInstance = instances.some(
      (i) =>
        dependsOn(app, { stack: trigger.stack, id: trigger.id }, i) ||
        deploysAfter(app, trigger.stack, i.stack),
    );
    if (!afterInstance)
      problems.push(`${refName(trigger)}: the migration can run before the database exists`);
  }
  const loginStacks = new Set(
    resourcesOfType(app, 'AWS::IAM::Policy')
      .filter((p) =>
        asArray(p.resource.Properties?.PolicyDocument?.Statement).some((s: Statement) =>
          asArray(s.Action).includes('rds-db:connect'),
        ),
      )
      .map((p) => p.stack),
  );
  for (const stack of loginStacks) {
    for (const trigger of triggers) {
      if (stack !== trigger.stack && !deploysAfter(app, stack, trigger.stack)) {
        problems.push(
          `${stack}: logs in to the database but can deploy before the migration in ${trigger.stack}`,
        );
      }
    }
  }
  return problems;
}
