import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.js';
import { AlarmTopic } from './constructs/alarms.js';
import { AnalysisVpc } from './constructs/analysis-vpc.js';
import { EvidenceBucket } from './constructs/evidence-bucket.js';
import { ExamineWorker } from './constructs/examine-worker.js';
import { ForensicAmi } from './constructs/forensic-ami.js';
import { ForensicsRoles } from './constructs/forensics-roles.js';
import { SnapshotKey } from './constructs/snapshot-key.js';
import { ToolsBucket } from './constructs/tools-bucket.js';
import { NAMES, roleArn } from './names.js';
import { avmlConfigOf, type StagedTools } from './tools.js';
import { buildIdentity } from './version.js';

export interface ForensicsStackProps extends StackProps {
  readonly config: DeployConfig;
  /** The AVML builds staged at synth (`stageAvml`), deployed into the tools bucket under `avml/`. */
  readonly tools?: StagedTools;
}

/**
 * The forensics account: the evidence bucket and its key, the tools bucket (pinned AVML builds), the key member accounts re-encrypt snapshots
 * under, the role the security account's steps assume here, and the analysis VPC without a route out.
 * Deploy after the security stack: the key and bucket policies name its steps role.
 */
export class ForensicsStack extends Stack {
  readonly evidence: EvidenceBucket;
  readonly snapshotKey: SnapshotKey;
  readonly roles: ForensicsRoles;
  readonly analysisVpc: AnalysisVpc;
  readonly tools: ToolsBucket;
  readonly forensicAmi: ForensicAmi;
  readonly examineWorker: ExamineWorker;

  constructor(scope: Construct, id: string, props: ForensicsStackProps) {
    super(scope, id, props);
    const { config } = props;
    // The VPC's zones are given, not looked up: answer the lookup from context so synth stays offline.
    this.node.setContext(
      `availability-zones:account=${config.forensicsAccount}:region=${config.region}`,
      config.analysisAzs,
    );
    const stepsRoleArn = roleArn(config.securityAccount, NAMES.stepsRole);
    const organizationId = config.singleAccount ? undefined : config.organizationId;

    this.evidence = new EvidenceBucket(this, 'Evidence', {
      retentionDays: config.evidenceRetentionDays,
      retentionMode: config.evidenceRetentionMode,
      glacierAfterDays: config.glacierAfterDays,
      stepsRoleArn,
      organizationId,
    });
    this.snapshotKey = new SnapshotKey(this, 'SnapshotKey', {
      organizationId,
      memberAccount: config.securityAccount,
    });
    this.roles = new ForensicsRoles(this, 'Roles', {
      stepsRoleArn,
      externalId: config.externalId,
      organizationId,
      evidenceKey: this.evidence.key,
      snapshotKey: this.snapshotKey.key,
      extraSnapshotKeyArns: config.extraSnapshotKeyArns,
    });
    this.tools = new ToolsBucket(this, 'Tools', {
      organizationId,
      accessLogs: this.evidence.accessLogs,
      avml: avmlConfigOf(config),
      staged: props.tools,
    });
    this.analysisVpc = new AnalysisVpc(this, 'Analysis', {
      cidr: config.analysisVpcCidr,
      availabilityZones: config.analysisAzs,
    });

    const identity = buildIdentity(this.node.tryGetContext('commit'));
    const pin = (version?: string, sha256?: string) => (version && sha256 ? { version, sha256 } : undefined);
    this.forensicAmi = new ForensicAmi(this, 'ForensicAmi', {
      parentImage: config.workerParentImage,
      volatility3: pin(config.workerVolatility3Version, config.workerVolatility3Sha256),
      dwarf2json: pin(config.workerDwarf2jsonVersion, config.workerDwarf2jsonSha256),
      maintenanceCidr: config.maintenanceVpcCidr,
      availabilityZone: config.analysisAzs[0]!,
      version: `${identity.version} (${identity.commit})`,
      amiParameterName: NAMES.workerAmiParameter,
    });
    this.examineWorker = new ExamineWorker(this, 'ExamineWorker', {
      vpc: this.analysisVpc.vpc,
      vpcCidr: config.analysisVpcCidr,
      evidenceBucket: this.evidence.bucket,
      evidenceKey: this.evidence.key,
      stepsRoleArn,
      externalId: config.externalId,
      organizationId,
      instanceType: config.workerInstanceType,
      volumeGiB: config.workerVolumeGiB,
      maxHours: config.workerMaxHours,
      alarms: new AlarmTopic(this, 'Alarms', { email: config.alarmEmail }),
    });

    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidence.bucket.bucketName });
    new CfnOutput(this, 'ToolsBucketName', { value: this.tools.bucket.bucketName });
    new CfnOutput(this, 'SnapshotKeyArn', { value: this.snapshotKey.key.keyArn });
    new CfnOutput(this, 'AnalysisVpcId', { value: this.analysisVpc.vpc.vpcId });
    new CfnOutput(this, 'ForensicAmiPipelineArn', { value: this.forensicAmi.pipeline.attrArn });
    new CfnOutput(this, 'WorkerSecurityGroupId', { value: this.examineWorker.securityGroup.securityGroupId });
  }
}
