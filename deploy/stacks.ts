import { type App, DefaultStackSynthesizer, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { WorkflowDefinition } from './asl.js';
import type { DeployConfig } from './config.js';
import type { CaptureMemoryDocumentProps } from './constructs/capture-memory-document.js';
import { ForensicsStack } from './forensics-stack.js';
import { MemberStack } from './member-stack.js';
import { MemberTriageStack } from './member-triage-stack.js';
import { NAMES } from './names.js';
import { SecurityStack } from './security-stack.js';
import { avmlConfigOf, type StagedTools } from './tools.js';

export interface ForensicsBotStacks {
  readonly security: SecurityStack;
  readonly forensics: ForensicsStack;
  readonly member: MemberStack;
  readonly memberTriage: MemberTriageStack;
}

export interface BuildOptions {
  /** Run cdk-nag's AwsSolutions pack at synth (default true; tests call the pack directly). */
  readonly nag?: boolean;
  readonly definitions?: WorkflowDefinition[];
  readonly captureMemory?: CaptureMemoryDocumentProps;
  /** The AVML builds staged by `stageAvml` (deploy/tools.ts); required when the config names a source. */
  readonly tools?: StagedTools;
}

/** Refuses to build with AVML sources configured but not staged, or staged with other pins. */
function checkStaged(config: DeployConfig, tools: StagedTools | undefined): void {
  for (const build of avmlConfigOf(config).builds) {
    if (!build.source) continue;
    const file = tools?.files.find((f) => f.fileName === build.fileName);
    if (!file)
      throw new Error(
        `${build.fileName} is configured (${build.source}) but not staged: stage it with stageAvml (deploy/tools.ts) first`,
      );
    if (file.sha256 !== build.sha256)
      throw new Error(
        `${build.fileName} was staged with SHA-256 ${file.sha256}, not the pinned ${build.sha256}`,
      );
  }
}

/**
 * The stacks. Deploy order: security (creates the steps role the others name), forensics (its key
 * and bucket policies name that role), then member everywhere (a StackSet across the organization; in
 * single-account mode, the same account), and member-triage to the same places (the live-triage document:
 * no room for it in the member stack's inline template). `cdk deploy --all` follows the dependencies below.
 */
export function buildForensicsBot(
  app: App,
  config: DeployConfig,
  options: BuildOptions = {},
): ForensicsBotStacks {
  checkStaged(config, options.tools);
  const security = new SecurityStack(app, `${NAMES.stackPrefix}-Security`, {
    config,
    definitions: options.definitions,
    env: { account: config.securityAccount, region: config.region },
    description: 'forensics-bot: Slack bot, case table, state machines, intake rules (security account)',
  });
  const forensics = new ForensicsStack(app, `${NAMES.stackPrefix}-Forensics`, {
    config,
    tools: options.tools,
    env: { account: config.forensicsAccount, region: config.region },
    description:
      'forensics-bot: evidence bucket, tools bucket, snapshot key, analysis VPC (forensics account)',
  });
  const member = new MemberStack(app, `${NAMES.stackPrefix}-Member`, {
    config,
    captureMemory: options.captureMemory,
    // A StackSet deploys the template into accounts never bootstrapped for CDK: no check of a bootstrap
    // version parameter there (`cdk deploy` of this stack, single-account mode, still uses the bootstrap).
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    description:
      'forensics-bot: IRAutomation role, quarantine profiles, memory capture, tag forwarding (every account)',
  });
  const memberTriage = new MemberTriageStack(app, `${NAMES.stackPrefix}-MemberTriage`, {
    synthesizer: new DefaultStackSynthesizer({ generateBootstrapVersionRule: false }),
    description:
      'forensics-bot: the live-triage command document (every account and region of the member stack)',
  });
  forensics.addStackDependency(security, 'key and bucket policies name the steps role');
  member.addStackDependency(security, 'IRAutomation trusts the steps role');
  for (const stack of [security, forensics, member, memberTriage])
    Tags.of(stack).add('application', 'forensics-bot');
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { security, forensics, member, memberTriage };
}
