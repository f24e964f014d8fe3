import { App } from 'aws-cdk-lib';
import { readDeployConfig } from './config.js';
import { buildForensicsBot } from './stacks.js';
import { avmlConfigOf, stageAvml } from './tools.js';

/**
 * The CDK app (`cdk.json`: `node --import tsx deploy/app.ts`), for `npm run synth`, `npx cdk deploy …`.
 * Parameters come from CDK context (cdk.json, `-c key=value`), documented in docs/deploy.md. Synth needs
 * no AWS credentials and no network: no lookups, the bundles are built locally (an AVML source given as a URL is the one download, cached).
 */
const app = new App();
const config = readDeployConfig((key) => app.node.tryGetContext(key));
// the pinned AVML builds, read or downloaded and checked against their SHA-256 before anything is built
const tools = await stageAvml(avmlConfigOf(config));
buildForensicsBot(app, config, { tools });
app.synth();
