import { App } from 'aws-cdk-lib';
import { readDeployConfig } from './config.js';
import { buildForensicsBot } from './stacks.js';

/**
 * `cdk synth|deploy --app 'npx tsx deploy/app.ts'`: parameters from CDK context (cdk.json, `-c key=value`),
 * documented in the README's deploy guide.
 */
const app = new App();
buildForensicsBot(
  app,
  readDeployConfig((key) => app.node.tryGetContext(key)),
);
app.synth();
