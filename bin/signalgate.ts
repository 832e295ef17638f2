// The CDK app: `-c env=dev|staging|prod` picks the environment, its validated config builds the stacks, cdk-nag checks them.
import { CfnGuardValidator } from '@cdklabs/cdk-validator-cfnguard';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildSignalgate } from '../lib/app.js';
import { loadConfig } from '../lib/config/index.js';

const app = new App();
let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(app.node.tryGetContext('env'));
} catch (error) {
  // One clear message, no stack trace: the operator's fix is in the command line or lib/config/.
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
