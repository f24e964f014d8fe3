/**
 * The handler table of every simulated service, keyed by command class name. A command absent from its
 * service's table fails loudly ("<Client>.<Command> is not simulated").
 */
import type { ServiceKey } from '../errors.js';
import type { HandlerTable } from '../handler.js';
import { cloudTrailHandlers } from './cloudtrail.js';
import { ebsHandlers } from './ebs.js';
import { ec2InstanceHandlers } from './ec2-instances.js';
import { ec2NetworkHandlers } from './ec2-network.js';
import { ec2SnapshotHandlers } from './ec2-snapshots.js';
import { workerEc2Handlers, workerIamHandlers, workerSsmHandlers } from './forensic-worker.js';
import { ec2ProfileHandlers, iamHandlers } from './iam.js';
import { guardDutyHandlers } from './guardduty.js';
import { kmsHandlers } from './kms.js';
import { autoScalingHandlers, elbHandlers, elbv2Handlers } from './load-balancing.js';
import { s3Handlers } from './s3.js';
import { securityHubHandlers } from './securityhub.js';
import { sqsHandlers } from './sqs.js';
import { ssmHandlers } from './ssm.js';
import { stsHandlers } from './sts.js';

export const handlers: Record<ServiceKey, HandlerTable> = {
  ec2: {
    ...ec2InstanceHandlers,
    ...ec2NetworkHandlers,
    ...ec2ProfileHandlers,
    ...ec2SnapshotHandlers,
    ...workerEc2Handlers,
  },
  sts: stsHandlers,
  iam: { ...iamHandlers, ...workerIamHandlers },
  ssm: { ...ssmHandlers, ...workerSsmHandlers },
  s3: s3Handlers,
  kms: kmsHandlers,
  autoscaling: autoScalingHandlers,
  elb: elbHandlers,
  elbv2: elbv2Handlers,
  securityhub: securityHubHandlers,
  guardduty: guardDutyHandlers,
  ebs: ebsHandlers,
  sqs: sqsHandlers,
  cloudtrail: cloudTrailHandlers,
};
