import { Aws, CfnCondition, CfnOutput, CfnParameter, Fn, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { DeployConfig } from './config.js';
import {
  CaptureMemoryDocument,
  type CaptureMemoryDocumentProps,
} from './constructs/capture-memory-document.js';
import { IrAutomationRole } from './constructs/ir-automation-role.js';
import { QuarantineProfiles } from './constructs/quarantine-profiles.js';
import { TagForwarding } from './constructs/tag-forwarding.js';
import { AVML_PREFIX, NAMES, toolsBucketName } from './names.js';

export interface MemberStackProps extends StackProps {
  /** Parameter defaults (the template stays deployable with other values, e.g. as a StackSet). */
  readonly config: DeployConfig;
  readonly captureMemory?: CaptureMemoryDocumentProps;
}

/**
 * What every member account (and the forensics account) needs, as a StackSet-friendly template: no
 * account id is hard-coded, everything comes from parameters. Deploy it to every account and every region
 * with workloads: the global IAM parts (the `IRAutomation` role, the two instance profiles) are created
 * in the home region only; the memory-capture document and the tag forwarding rule in every region.
 */
export class MemberStack extends Stack {
  constructor(scope: Construct, id: string, props: MemberStackProps) {
    super(scope, id, props);
    const { config } = props;
    const securityAccount = new CfnParameter(this, 'SecurityAccountId', {
      type: 'String',
      default: config.securityAccount,
      allowedPattern: '^\\d{12}$',
      description: 'The security account running forensics-bot',
    });
    const forensicsAccount = new CfnParameter(this, 'ForensicsAccountId', {
      type: 'String',
      default: config.forensicsAccount,
      allowedPattern: '^\\d{12}$',
      description: 'The forensics account (snapshots are shared with it only)',
    });
    const homeRegion = new CfnParameter(this, 'HomeRegion', {
      type: 'String',
      default: config.region,
      allowedPattern: '^[a-z]{2}(-gov)?-[a-z]+-\\d$',
      description: 'Region of the security stack; IAM roles and profiles are created in this region only',
    });
    const externalId = new CfnParameter(this, 'ExternalId', {
      type: 'String',
      default: config.externalId,
      noEcho: true,
      allowedPattern: '^[\\w+=,.@:/-]{2,1224}$',
      description: 'ExternalId the security account must present to assume IRAutomation',
    });
    const organizationId =
      config.organizationId === undefined
        ? undefined
        : new CfnParameter(this, 'OrganizationId', {
            type: 'String',
            default: config.organizationId,
            allowedPattern: '^o-[a-z0-9]{10,32}$',
            description: 'Only principals of this organization may assume IRAutomation',
          });

    const limeModulePrefix = new CfnParameter(this, 'LimeModulePrefix', {
      type: 'String',
      default: config.limeModulePrefix ?? '',
      allowedPattern: '^(s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9._/-]*)?)?$',
      description:
        's3://bucket/prefix of LiME kernel modules (the memory capture fallback to AVML); empty: none',
    });

    const isHomeRegion = new CfnCondition(this, 'IsHomeRegion', {
      expression: Fn.conditionEquals(Aws.REGION, homeRegion.valueAsString),
    });
    const readsLimeModules = new CfnCondition(this, 'ReadsLimeModules', {
      expression: Fn.conditionAnd(
        isHomeRegion,
        Fn.conditionNot(Fn.conditionEquals(limeModulePrefix.valueAsString, '')),
      ),
    });
    // The security account's home region receives tag events on its own bus already.
    const forwardsTags = new CfnCondition(this, 'ForwardsTags', {
      expression: Fn.conditionOr(
        Fn.conditionNot(Fn.conditionEquals(Aws.REGION, homeRegion.valueAsString)),
        Fn.conditionNot(Fn.conditionEquals(Aws.ACCOUNT_ID, securityAccount.valueAsString)),
      ),
    });

    const stepsRoleArn = `arn:${Aws.PARTITION}:iam::${securityAccount.valueAsString}:role/${NAMES.stepsRole}`;
    const role = new IrAutomationRole(this, 'IRAutomation', {
      stepsRoleArn,
      externalId: externalId.valueAsString,
      organizationId: organizationId?.valueAsString,
      forensicsAccount: forensicsAccount.valueAsString,
      snapshotKeyArns: [`arn:${Aws.PARTITION}:kms:*:${forensicsAccount.valueAsString}:key/*`],
      condition: isHomeRegion,
    });
    // s3://bucket/prefix -> arn:aws:s3:::bucket/prefix/* (a trailing "/" in the prefix is harmless to IAM)
    const limePath = Fn.select(1, Fn.split('s3://', limeModulePrefix.valueAsString));
    new QuarantineProfiles(this, 'Profiles', {
      condition: isHomeRegion,
      evidence: { forensicsAccount: forensicsAccount.valueAsString },
      // the pinned AVML builds in the forensics account's tools bucket (home region)
      toolsObjectsArn: `arn:${Aws.PARTITION}:s3:::${toolsBucketName(forensicsAccount.valueAsString)}/${AVML_PREFIX}*`,
      limeModules: {
        objectsArn: `arn:${Aws.PARTITION}:s3:::${limePath}/*`,
        condition: readsLimeModules,
        findingResource: `arn:<AWS::Partition>:s3:::${JSON.stringify(this.resolve(limePath))}/*`,
      },
    });
    new CaptureMemoryDocument(this, 'CaptureMemory', props.captureMemory);
    new TagForwarding(this, 'TagForwarding', {
      securityBusArn: `arn:${Aws.PARTITION}:events:${homeRegion.valueAsString}:${securityAccount.valueAsString}:event-bus/default`,
      condition: forwardsTags,
    });

    new CfnOutput(this, 'IRAutomationRoleArn', { value: role.role.roleArn, condition: isHomeRegion });
  }
}
