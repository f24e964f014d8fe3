import { Annotations, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3deploy from 'aws-cdk-lib/aws-s3-deployment';
import { Construct, type IConstruct } from 'constructs';
import { AVML_PREFIX, NAMES, toolsBucketName } from '../names.js';
import { acknowledge } from '../nag.js';
import type { AvmlConfig, StagedTools } from '../tools.js';

export interface ToolsBucketProps {
  /** The organization whose quarantine roles may read the tools (`aws:PrincipalOrgID`); none: this account's. */
  readonly organizationId?: string;
  /** Role of the quarantine instance profile in every member account (default `ForensicsBot-Quarantine`). */
  readonly quarantineRoleName?: string;
  /** Where the bucket's server access logs go (the evidence bucket's log bucket, under `tools/`). */
  readonly accessLogs: s3.IBucket;
  /** The pinned builds as configured (named in the warning for those not deployed). */
  readonly avml: AvmlConfig;
  /** The builds staged at synth (`deploy/tools.ts`); absent: nothing is deployed. */
  readonly staged?: StagedTools;
}

/**
 * The tools bucket `forensics-bot-tools-<account>` (home region): the pinned AVML builds the memory capture
 * copies into RAM (`aws s3 cp s3://…/avml/avml-<arch>` with the quarantine profile's credentials, then a
 * SHA-256 check). Private, TLS only, versioned, SSE-S3 (a member account's instance needs no KMS grant),
 * access logs. Its policy lets exactly the organization's `ForensicsBot-Quarantine` roles `GetObject` under
 * `avml/`, nothing else; the deployment's own role writes through its identity policy, in this account.
 */
export class ToolsBucket extends Construct {
  readonly bucket: s3.Bucket;
  /** `s3://<bucket>/avml/`, the steps' `TOOLS_URI`. */
  readonly toolsUri: string;
  readonly deployment?: s3deploy.BucketDeployment;

  constructor(scope: Construct, id: string, props: ToolsBucketProps) {
    super(scope, id);
    const stack = Stack.of(this);
    // Access-log delivery through a bucket policy, not the legacy LogDeliveryWrite ACL (owner-enforced buckets).
    this.node.setContext('@aws-cdk/aws-s3:serverAccessLogsUseBucketPolicy', true);
    const name = toolsBucketName(stack.account);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      bucketName: name,
      versioned: true,
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: props.accessLogs,
      serverAccessLogsPrefix: 'tools/',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.toolsUri = `s3://${name}/${AVML_PREFIX}`;
    const quarantineRole = props.quarantineRoleName ?? NAMES.quarantineProfile;
    this.bucket.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'QuarantineProfilesReadAvml',
        principals: [new iam.AnyPrincipal()],
        actions: ['s3:GetObject'],
        resources: [this.bucket.arnForObjects(`${AVML_PREFIX}*`)],
        conditions: {
          ArnLike: { 'aws:PrincipalArn': `arn:${stack.partition}:iam::*:role/${quarantineRole}` },
          StringEquals: props.organizationId
            ? { 'aws:PrincipalOrgID': props.organizationId }
            : { 'aws:PrincipalAccount': stack.account },
        },
      }),
    );

    const staged = new Set(props.staged?.files.map((f) => f.fileName) ?? []);
    if (props.staged) {
      this.deployment = new s3deploy.BucketDeployment(this, 'Avml', {
        sources: [s3deploy.Source.asset(props.staged.directory)],
        destinationBucket: this.bucket,
        destinationKeyPrefix: AVML_PREFIX,
        // a build put there by hand (an architecture not configured here) stays; the bucket keeps versions
        prune: false,
        metadata: { 'avml-version': props.staged.version },
      });
      this.acknowledgeDeployment(this.deployment);
    }
    const missing = props.avml.builds.filter((b) => !staged.has(b.fileName));
    if (missing.length > 0) {
      const commands = missing
        .map((b) => `aws s3 cp ${b.fileName} ${this.toolsUri}${b.fileName}`)
        .join(' && ');
      const hashes = missing
        .filter((b) => !b.sha256)
        .map((b) => (b.arch === 'x86_64' ? 'avmlSha256X86_64' : 'avmlSha256Aarch64'));
      Annotations.of(this).addWarningV2(
        'forensics-bot:tools-not-deployed',
        `No AVML build is deployed for ${missing.map((b) => b.arch).join(' or ')}: memory capture fails on ` +
          `such instances until ${missing.map((b) => b.fileName).join(' and ')} ${missing.length > 1 ? 'are' : 'is'} ` +
          `put under ${this.toolsUri}: ${commands}` +
          (hashes.length > 0 ? ` and set ${hashes.join(' and ')} to the SHA-256` : '') +
          ', or set avmlVersion, avmlSha256* and avmlSource* so the deploy puts them there',
      );
    }
  }

  /** cdk-nag findings of CDK's own BucketDeployment, acknowledged where they arise. */
  private acknowledgeDeployment(deployment: s3deploy.BucketDeployment): void {
    const stack = Stack.of(this);
    const handler = stack.node.children.find((c): c is IConstruct =>
      c.node.id.startsWith('Custom::CDKBucketDeployment'),
    );
    const arn = stack.resolve(this.bucket.bucketArn) as { 'Fn::GetAtt': [string, string] };
    const bucketId = arn['Fn::GetAtt'][0];
    const assets = `arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-${stack.account}-${stack.region}`;
    acknowledge(deployment.handlerRole, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        "CDK's BucketDeployment handler role: the AWS managed policy only lets it write its own CloudWatch logs",
      'AwsSolutions-IAM5[Action::s3:GetObject*]':
        "CDK's BucketDeployment grant: it reads the staged AVML asset from the bootstrap asset bucket (read actions only)",
      'AwsSolutions-IAM5[Action::s3:GetBucket*]':
        "CDK's BucketDeployment grant on the bootstrap asset bucket and the tools bucket: bucket metadata reads only",
      'AwsSolutions-IAM5[Action::s3:List*]':
        "CDK's BucketDeployment grant: it lists the asset and the tools bucket to copy the staged files",
      [`AwsSolutions-IAM5[Resource::${assets}/*]`]:
        'the staged asset is a content-hashed object of the CDK bootstrap asset bucket, named at deploy time',
      'AwsSolutions-IAM5[Action::s3:DeleteObject*]':
        "CDK's BucketDeployment grant on the tools bucket (prune is off, so it deletes nothing); the bucket is versioned",
      'AwsSolutions-IAM5[Action::s3:Abort*]':
        "CDK's BucketDeployment grant: aborting its own multipart copies of the AVML builds into the tools bucket",
      [`AwsSolutions-IAM5[Resource::<${bucketId}.Arn>/*]`]:
        'the deployment writes the AVML builds under avml/ of the tools bucket; CDK grants the whole bucket, which holds nothing else',
    });
    if (handler)
      acknowledge(handler, {
        'AwsSolutions-L1':
          "CDK's BucketDeployment handler runs the Python runtime aws-cdk-lib pins for its bundled AWS CLI layer; it runs only at deploy time",
      });
  }
}
