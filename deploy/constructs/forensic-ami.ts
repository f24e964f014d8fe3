import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Annotations, CfnParameter, CfnRule, Fn, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as imagebuilder from 'aws-cdk-lib/aws-imagebuilder';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Asset } from 'aws-cdk-lib/aws-s3-assets';
import { Construct } from 'constructs';
import { acknowledge } from '../nag.js';
import { bundleWorker } from '../worker-bundle.js';

/** A tool pinned by its version and the SHA-256 of what is downloaded; undefined when not pinned. */
export interface PinnedTool {
  readonly version: string;
  readonly sha256: string;
}

export interface ForensicAmiProps {
  /** A Debian 12 AMI id (`workerParentImage`); without it the template carries a rule that fails the deploy. */
  readonly parentImage?: string;
  /** volatility3's wheel from PyPI, checked against its SHA-256 (`workerVolatility3Version`/`…Sha256`). */
  readonly volatility3?: PinnedTool;
  /** dwarf2json's linux-amd64 release binary, checked against its SHA-256. */
  readonly dwarf2json?: PinnedTool;
  /** CIDR of the maintenance VPC (builds only). */
  readonly maintenanceCidr: string;
  readonly availabilityZone: string;
  /** forensics-bot's version, written into the AMI (`/opt/forensics-bot/VERSION`) and its tags. */
  readonly version: string;
  /** Where the distribution writes the newest AMI id (the worker launch reads it). */
  readonly amiParameterName: string;
}

/** The tag every AMI of the pipeline carries: the launcher may start workers from these images only. */
export const WORKER_AMI_TAG = { key: 'forensics-bot:ami', value: 'examine-worker' } as const;

/** `1.0.<n>`: Image Builder components and recipes are immutable per version, so content changes the version. */
function contentVersion(...parts: string[]): string {
  const digest = createHash('sha256').update(parts.join('\0')).digest('hex');
  return `1.0.${Number.parseInt(digest.slice(0, 7), 16)}`;
}

/** An AWSTOE document of ExecuteBash steps per phase. */
function document(
  name: string,
  description: string,
  phases: Record<
    string,
    { name: string; commands?: string[]; download?: { source: string; destination: string } }[]
  >,
): string {
  const lines = [
    'name: ' + name,
    `description: ${JSON.stringify(description)}`,
    'schemaVersion: 1.0',
    'phases:',
  ];
  for (const [phase, steps] of Object.entries(phases)) {
    lines.push(`  - name: ${phase}`, '    steps:');
    for (const step of steps) {
      lines.push(`      - name: ${step.name}`);
      if (step.download) {
        lines.push(
          '        action: S3Download',
          '        inputs:',
          `          - source: ${JSON.stringify(step.download.source)}`,
          `            destination: ${JSON.stringify(step.download.destination)}`,
        );
      } else {
        lines.push('        action: ExecuteBash', '        inputs:', '          commands:');
        for (const c of step.commands ?? []) lines.push(`            - ${JSON.stringify(c)}`);
      }
    }
  }
  return `${lines.join('\n')}\n`;
}

/** The Debian packages the examination uses: the list CI installs (shared/STACK.md), plus Node and Python. */
export const WORKER_PACKAGES = [
  'sleuthkit',
  'yara',
  'dc3dd',
  'ewf-tools',
  'e2fsprogs',
  'xfsprogs',
  'nodejs',
  'python3',
  'python3-pefile',
  'python3-pip',
  'curl',
  'ca-certificates',
];

/** Commands installing a pinned tool, or writing down that it is not pinned (never an unpinned download). */
export function volatilityCommands(volatility3?: PinnedTool, dwarf2json?: PinnedTool): string[] {
  const notes = '/opt/forensics-bot/NOT-INSTALLED';
  const out = ['set -euo pipefail', 'mkdir -p /opt/forensics-bot', `: > ${notes}`];
  if (volatility3) {
    out.push(
      'rm -rf /tmp/vol3 && mkdir /tmp/vol3',
      `python3 -m pip download --no-deps --only-binary=:all: --dest /tmp/vol3 volatility3==${volatility3.version}`,
      `echo "${volatility3.sha256}  $(ls /tmp/vol3/volatility3-${volatility3.version}-*.whl)" | sha256sum -c -`,
      'python3 -m pip install --no-deps --no-index --break-system-packages /tmp/vol3/volatility3-*.whl',
      'rm -rf /tmp/vol3',
    );
  } else
    out.push(
      `echo "volatility3: not pinned (cdk.json workerVolatility3Version and workerVolatility3Sha256 unset): not installed" >> ${notes}`,
    );
  if (dwarf2json) {
    out.push(
      `curl -fsSL -o /tmp/dwarf2json https://github.com/volatilityfoundation/dwarf2json/releases/download/v${dwarf2json.version}/dwarf2json-linux-amd64`,
      `echo "${dwarf2json.sha256}  /tmp/dwarf2json" | sha256sum -c -`,
      'install -m 0755 /tmp/dwarf2json /usr/local/bin/dwarf2json',
      'rm -f /tmp/dwarf2json',
    );
  } else
    out.push(
      `echo "dwarf2json: not pinned (cdk.json workerDwarf2jsonVersion and workerDwarf2jsonSha256 unset): not installed" >> ${notes}`,
    );
  return out;
}

/**
 * The forensic AMI pipeline (issue 12, item 4): EC2 Image Builder builds the worker's image from a Debian 12
 * parent, with Debian's sleuthkit, yara, dc3dd, ewf-tools and Node.js, volatility3 and dwarf2json when they
 * are pinned (version and SHA-256 in cdk.json; unpinned, the AMI's `/opt/forensics-bot/NOT-INSTALLED` says
 * so and the engine reports Volatility as not installed), and the project's examination engine, YARA rules
 * and worker script under `/opt/forensics-bot` (an asset of this synth, checked against its SHA-256).
 *
 * Builds run in a maintenance VPC of their own: one public subnet whose security group lets out HTTP and
 * HTTPS only (Debian's mirrors, PyPI, GitHub, SSM), no inbound rule, flow logs. The analysis VPC, where the
 * workers run, never gets a route out. Image Builder keeps the SSM agent it installs on the Debian parent
 * (`uninstallAfterBuild: false`): the worker is driven only through SSM. The newest AMI id goes into the SSM
 * parameter `amiParameterName`; each AMI is tagged `forensics-bot:ami=examine-worker`, which the launcher's
 * `ec2:RunInstances` requires. Weekly rebuilds pick up Debian's security updates.
 */
export class ForensicAmi extends Construct {
  readonly pipeline: imagebuilder.CfnImagePipeline;
  readonly maintenanceVpc: ec2.Vpc;
  readonly recipe: imagebuilder.CfnImageRecipe;

  constructor(scope: Construct, id: string, props: ForensicAmiProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.maintenanceVpc = new ec2.Vpc(this, 'MaintenanceVpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.maintenanceCidr),
      availabilityZones: [props.availabilityZone],
      natGateways: 0,
      subnetConfiguration: [{ name: 'builds', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 26 }],
      restrictDefaultSecurityGroup: false,
    });
    const flowLogs = new logs.LogGroup(this, 'MaintenanceFlowLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.maintenanceVpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    const buildGroup = new ec2.SecurityGroup(this, 'BuildGroup', {
      vpc: this.maintenanceVpc,
      description: 'forensics-bot: AMI builds, HTTP and HTTPS out only (package mirrors, PyPI, GitHub, SSM)',
      allowAllOutbound: false,
    });
    buildGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(443), 'HTTPS: SSM, S3, PyPI, GitHub');
    buildGroup.addEgressRule(ec2.Peer.anyIpv4(), ec2.Port.tcp(80), 'HTTP: Debian mirrors (signed by apt)');

    // The engine, rules and script, as one deterministic archive whose SHA-256 the build checks.
    const bundleDir = bundleWorker(props.version);
    const archive = join(bundleDir, '..', 'forensics-bot-worker.tgz');
    execFileSync(
      'sh',
      [
        '-c',
        'tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - . | gzip -n > "$2"',
        'pack',
        bundleDir,
        archive,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    const archiveSha256 = createHash('sha256').update(readFileSync(archive)).digest('hex');
    const engine = new Asset(this, 'Engine', { path: archive });

    const role = new iam.Role(this, 'BuildRole', {
      description: 'forensics-bot: the Image Builder build and test instances of the forensic AMI',
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      managedPolicies: [
        iam.ManagedPolicy.fromAwsManagedPolicyName('EC2InstanceProfileForImageBuilder'),
        iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore'),
      ],
      inlinePolicies: {
        engine: new iam.PolicyDocument({
          statements: [
            new iam.PolicyStatement({
              sid: 'ReadTheEngineArchive',
              actions: ['s3:GetObject'],
              resources: [`arn:${stack.partition}:s3:::${engine.s3BucketName}/${engine.s3ObjectKey}`],
            }),
          ],
        }),
      },
    });
    acknowledge(role, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/EC2InstanceProfileForImageBuilder]':
        'what AWS documents an Image Builder build instance needs (component downloads, logs, its own status); it exists only during a build in the maintenance VPC',
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]':
        'Image Builder drives the build instance through SSM; the policy is the agent minimum and the instance lives only during a build',
    });
    const profile = new iam.CfnInstanceProfile(this, 'BuildProfile', { roles: [role.roleName] });

    const tools = document('forensics-bot-tools', 'Debian packages of the examination', {
      build: [
        {
          name: 'DebianPackages',
          commands: [
            'set -euo pipefail',
            'export DEBIAN_FRONTEND=noninteractive',
            'apt-get update',
            'apt-get -y upgrade',
            `apt-get install -y --no-install-recommends ${WORKER_PACKAGES.join(' ')}`,
          ],
        },
      ],
      validate: [
        {
          name: 'ToolsRun',
          commands: [
            'set -euo pipefail',
            'fls -V',
            'mactime -V || true', // mactime has no version flag on every build; fls's is The Sleuth Kit's
            'yara --version',
            'command -v dc3dd',
            'command -v ewfverify',
            'node --version',
          ],
        },
      ],
    });
    const volatility = document(
      'forensics-bot-volatility',
      'volatility3 and dwarf2json, pinned by SHA-256 (or a note that they are not)',
      {
        build: [{ name: 'PinnedTools', commands: volatilityCommands(props.volatility3, props.dwarf2json) }],
        validate: [
          {
            name: 'PinnedToolsRun',
            commands: [
              'set -euo pipefail',
              ...(props.volatility3 ? ['vol --help > /dev/null'] : []),
              ...(props.dwarf2json ? ['dwarf2json --help > /dev/null 2>&1 || test $? -le 2'] : []),
              'cat /opt/forensics-bot/NOT-INSTALLED',
            ],
          },
        ],
      },
    );
    const engineDoc = document('forensics-bot-engine', 'the examination engine, YARA rules and scripts', {
      build: [
        {
          name: 'Download',
          download: { source: engine.s3ObjectUrl, destination: '/tmp/forensics-bot-worker.tgz' },
        },
        {
          name: 'Install',
          commands: [
            'set -euo pipefail',
            `echo "${archiveSha256}  /tmp/forensics-bot-worker.tgz" | sha256sum -c -`,
            'mkdir -p /opt/forensics-bot /var/lib/forensics-bot/work',
            'tar -xzf /tmp/forensics-bot-worker.tgz -C /opt/forensics-bot --no-same-owner',
            'chmod -R go-w /opt/forensics-bot',
            'rm -f /tmp/forensics-bot-worker.tgz',
          ],
        },
      ],
      validate: [
        {
          name: 'EngineRuns',
          // without its parameters the worker refuses (exit 4) with its JSON line: Node runs the bundle
          commands: [
            'set -uo pipefail',
            'node /opt/forensics-bot/examine-worker.mjs > /tmp/worker-check.txt 2>&1; code=$?',
            'cat /tmp/worker-check.txt',
            'test "$code" -eq 4 && grep -q \'"ok":false\' /tmp/worker-check.txt',
          ],
        },
      ],
    });
    const components = [
      ['Tools', tools],
      ['Volatility', volatility],
      ['Engine', engineDoc],
    ].map(
      ([name, data]) =>
        new imagebuilder.CfnComponent(this, `${name}Component`, {
          name: `forensics-bot-${name!.toLowerCase()}`,
          platform: 'Linux',
          version: contentVersion(data!),
          data: data!,
          description: `forensics-bot forensic AMI: ${name!.toLowerCase()}`,
          supportedOsVersions: ['Debian 12'],
        }),
    );

    let parentImage = props.parentImage;
    if (!parentImage) {
      // Synth stays offline and the other stacks deploy; this stack's deploy fails naming the cdk.json key.
      const parameter = new CfnParameter(this, 'WorkerParentImage', {
        type: 'String',
        default: '',
        description: 'Set workerParentImage in cdk.json (a Debian 12 AMI id) instead of this parameter',
      });
      new CfnRule(this, 'WorkerParentImageSet', {
        assertions: [
          {
            assert: Fn.conditionNot(Fn.conditionEquals(parameter.valueAsString, '')),
            assertDescription:
              'workerParentImage is not set: put a Debian 12 AMI id (ami-...) of this region under workerParentImage in cdk.json',
          },
        ],
      });
      parentImage = parameter.valueAsString;
      Annotations.of(this).addWarningV2(
        'forensics-bot:NoWorkerParentImage',
        'workerParentImage is not set in cdk.json: the forensics stack synthesizes, but its deploy fails naming that key',
      );
    }
    for (const [key, pin] of [
      ['workerVolatility3Version/workerVolatility3Sha256', props.volatility3],
      ['workerDwarf2jsonVersion/workerDwarf2jsonSha256', props.dwarf2json],
    ] as const)
      if (!pin)
        Annotations.of(this).addWarningV2(
          `forensics-bot:NotPinned:${key.split('/')[0]}`,
          `${key} not set in cdk.json: the forensic AMI is built without it (and /opt/forensics-bot/NOT-INSTALLED says so)`,
        );

    this.recipe = new imagebuilder.CfnImageRecipe(this, 'Recipe', {
      name: 'forensics-bot-worker',
      version: contentVersion(
        props.parentImage ?? 'parameter',
        ...components.map((c) => `${c.name}@${c.version}`),
      ),
      parentImage,
      components: components.map((c) => ({ componentArn: c.attrArn })),
      additionalInstanceConfiguration: { systemsManagerAgent: { uninstallAfterBuild: false } },
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: { encrypted: true, volumeSize: 20, volumeType: 'gp3', deleteOnTermination: true },
        },
      ],
      workingDirectory: '/var/tmp',
      description: 'forensics-bot forensic worker: Debian 12, The Sleuth Kit, YARA, the examination engine',
    });
    if (!props.parentImage)
      acknowledge(this.recipe, {
        'CloudFormation-Validate::W1030':
          'the empty default of WorkerParentImage is what the rule WorkerParentImageSet refuses, naming the cdk.json key, before the recipe is created',
      });

    const subnet = this.maintenanceVpc.publicSubnets[0]!;
    const infrastructure = new imagebuilder.CfnInfrastructureConfiguration(this, 'Infrastructure', {
      name: 'forensics-bot-worker-builds',
      instanceProfileName: profile.ref,
      subnetId: subnet.subnetId,
      securityGroupIds: [buildGroup.securityGroupId],
      instanceTypes: ['m6i.large'],
      terminateInstanceOnFailure: true,
      instanceMetadataOptions: { httpTokens: 'required', httpPutResponseHopLimit: 1 },
      description:
        'forensics-bot: builds of the forensic AMI in the maintenance VPC (egress for builds only)',
    });
    const distribution = new imagebuilder.CfnDistributionConfiguration(this, 'Distribution', {
      name: 'forensics-bot-worker',
      distributions: [
        {
          region: stack.region,
          // a JSON pass-through in CloudFormation's schema: its keys are written as the API spells them
          amiDistributionConfiguration: {
            Name: 'forensics-bot-worker-{{ imagebuilder:buildDate }}',
            Description: `forensics-bot forensic worker ${props.version}`,
            AmiTags: { [WORKER_AMI_TAG.key]: WORKER_AMI_TAG.value, 'forensics-bot:version': props.version },
          },
          ssmParameterConfigurations: [{ parameterName: props.amiParameterName, dataType: 'aws:ec2:image' }],
        },
      ],
    });
    this.pipeline = new imagebuilder.CfnImagePipeline(this, 'Pipeline', {
      name: 'forensics-bot-worker',
      description: 'forensics-bot: the forensic worker AMI, rebuilt weekly for Debian security updates',
      imageRecipeArn: this.recipe.attrArn,
      infrastructureConfigurationArn: infrastructure.attrArn,
      distributionConfigurationArn: distribution.attrArn,
      imageTestsConfiguration: { imageTestsEnabled: true, timeoutMinutes: 60 },
      enhancedImageMetadataEnabled: true,
      schedule: {
        scheduleExpression: 'cron(0 4 ? * mon *)',
        pipelineExecutionStartCondition: 'EXPRESSION_MATCH_ONLY',
      },
      status: 'ENABLED',
    });
  }
}
