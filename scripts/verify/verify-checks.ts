// The checklist of `npm run verify` for a URL (HTTP checks) or an AWS environment (deployment, HTTP, alarm, WAF).
import { type AlarmCheckOptions, type AwsClients, awsChecks, type Deployment } from './aws-checks.js';
import type { Check } from './checklist.js';
import { CheckName, type HttpCheckOptions, type HttpTarget, httpChecks } from './http-checks.js';
import { localTarget } from './local-target.js';

export type VerifyTarget =
  | { readonly kind: 'url'; readonly url: string; readonly env: NodeJS.ProcessEnv; readonly cwd: string }
  | { readonly kind: 'aws'; readonly envName: string; readonly clients: AwsClients };

export interface VerifyOptions {
  readonly http?: HttpCheckOptions;
  readonly alarm?: AlarmCheckOptions;
}

export function buildChecks(target: VerifyTarget, options: VerifyOptions = {}): Check[] {
  if (target.kind === 'url') {
    let resolved: HttpTarget | undefined;
    const tokens: Check = {
      name: 'tokens found',
      async run() {
        resolved = localTarget(target.url, target.env, target.cwd);
        return `account ${resolved.accountSid}`;
      },
    };
    const http = httpChecks(() => resolved as HttpTarget, options.http).map((check) => ({
      ...check,
      needs: [tokens.name, ...(check.needs ?? [])],
    }));
    return [tokens, ...http];
  }
  let deployment: Deployment | undefined;
  const aws = awsChecks(
    target.envName,
    target.clients,
    (d) => {
      deployment = d;
    },
    () => deployment,
    options.alarm,
  );
  const http = httpChecks(() => (deployment as Deployment).http, options.http).map((check) => ({
    ...check,
    needs: [CheckName.deployment, ...(check.needs ?? [])],
  }));
  return [aws.first, ...http, ...aws.last];
}
