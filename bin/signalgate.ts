// The CDK app: `-c env=dev|staging|prod` picks the environment; its defaults, merged with the user's values
// (config/<env>.json, then -c account=… region=… …), build the stacks; cdk-nag checks them.
import * as path from 'node:path';
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildSignalgate } from '../lib/app.js';
import { CONFIG_FILE_CONTEXT_KEY, isEnvName, loadConfig } from '../lib/config/index.js';
import { REPO_ROOT } from '../lib/paths.js';

const app = new App();
const envName: unknown = app.node.tryGetContext('env');
const explicitFile: unknown = app.node.tryGetContext(CONFIG_FILE_CONTEXT_KEY);
let config: ReturnType<typeof loadConfig>;
try {
  const file =
    typeof explicitFile === 'string' && explicitFile !== ''
      ? { path: path.resolve(explicitFile), label: explicitFile, required: true }
      : isEnvName(envName)
        ? {
            path: path.join(REPO_ROOT, 'config', `${envName}.json`),
            label: `config/${envName}.json`,
            required: false,
          }
        : undefined;
  config = loadConfig(envName, { file, context: (key) => app.node.tryGetContext(key) });
} catch (error) {
  // One line per problem, no stack trace: the operator's fix is in the command line or config/<env>.json.
  console.error(`signalgate: ${(error as Error).message}`);
  process.exit(1);
}
const runToken: unknown = app.node.tryGetContext('migrationRunToken');
buildSignalgate(app, config, { migrationRunToken: typeof runToken === 'string' ? runToken : undefined });
// Every synth runs the AwsSolutions pack; any unacknowledged finding (warnings included) fails it. It also runs
// AWS Control Tower's proactive controls (accepted findings: lib/guard-acknowledgements.ts, docs/SECURITY.md)
// and, with @aws-cdk/core:validateAgainstDefaultRules in cdk.json, CloudFormation's schema checks as errors.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new CfnGuardValidator({}));
app.synth();
