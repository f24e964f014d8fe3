import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.js';
import { AnalysisVpc } from './constructs/analysis-vpc.js';
import { EvidenceBucket } from './constructs/evidence-bucket.js';
import { ForensicsRoles } from './constructs/forensics-roles.js';
import { SnapshotKey } from './constructs/snapshot-key.js';
import { ToolsBucket } from './constructs/tools-bucket.js';
import { NAMES, roleArn } from './names.js';
import { avmlConfigOf, type StagedTools } from './tools.js';

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

    new CfnOutput(this, 'EvidenceBucketName', { value: this.evidence.bucket.bucketName });
    new CfnOutput(this, 'ToolsBucketName', { value: this.tools.bucket.bucketName });
    new CfnOutput(this, 'SnapshotKeyArn', { value: this.snapshotKey.key.keyArn });
    new CfnOutput(this, 'AnalysisVpcId', { value: this.analysisVpc.vpc.vpcId });
  }
}
