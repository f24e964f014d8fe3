import { App } from 'aws-cdk-lib';
import { readDeployConfig } from './config.js';
import { buildForensicsBot } from './stacks.js';

/**
 * The CDK app (`cdk.json`: `node --import tsx deploy/app.ts`), for `npm run synth`, `npx cdk deploy …`.
 * Parameters come from CDK context (cdk.json, `-c key=value`), documented in docs/deploy.md. Synth needs
 * no AWS credentials and no network: no lookups, the bundles are built locally.
 */
const app = new App();
buildForensicsBot(
  app,
  readDeployConfig((key) => app.node.tryGetContext(key)),
);
app.synth();
