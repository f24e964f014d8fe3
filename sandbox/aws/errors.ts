/**
 * Errors shaped like the SDK's: instances of the client package's exception classes (the modelled class
 * when the service models that error, the service's base exception otherwise) with `name`, `$fault`,
 * `$metadata.httpStatusCode`, so SDK retries and `error.name` checks behave as they do against AWS.
 */
import * as autoscaling from '@aws-sdk/client-auto-scaling';
import * as cloudtrail from '@aws-sdk/client-cloudtrail';
import * as ebs from '@aws-sdk/client-ebs';
import * as ec2 from '@aws-sdk/client-ec2';
import * as elb from '@aws-sdk/client-elastic-load-balancing';
import * as elbv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import * as guardduty from '@aws-sdk/client-guardduty';
import * as iam from '@aws-sdk/client-iam';
import * as kms from '@aws-sdk/client-kms';
import * as s3 from '@aws-sdk/client-s3';
import * as securityhub from '@aws-sdk/client-securityhub';
import * as sqs from '@aws-sdk/client-sqs';
import * as ssm from '@aws-sdk/client-ssm';
import * as sts from '@aws-sdk/client-sts';

export type ServiceKey =
  | 'ec2'
  | 'sts'
  | 'ssm'
  | 's3'
  | 'iam'
  | 'kms'
  | 'autoscaling'
  | 'elb'
  | 'elbv2'
  | 'securityhub'
  | 'guardduty'
  | 'ebs'
  | 'sqs'
  | 'cloudtrail';

// biome-ignore lint/suspicious/noExplicitAny: each exception class declares its own options type.
type ExceptionCtor = new (options: any) => Error;

const services: Record<ServiceKey, { module: Record<string, unknown>; base: ExceptionCtor; client: string }> =
  {
    ec2: { module: ec2, base: ec2.EC2ServiceException, client: 'EC2Client' },
    sts: { module: sts, base: sts.STSServiceException, client: 'STSClient' },
    ssm: { module: ssm, base: ssm.SSMServiceException, client: 'SSMClient' },
    s3: { module: s3, base: s3.S3ServiceException, client: 'S3Client' },
    iam: { module: iam, base: iam.IAMServiceException, client: 'IAMClient' },
    kms: { module: kms, base: kms.KMSServiceException, client: 'KMSClient' },
    autoscaling: {
      module: autoscaling,
      base: autoscaling.AutoScalingServiceException,
      client: 'AutoScalingClient',
    },
    elb: {
      module: elb,
      base: elb.ElasticLoadBalancingServiceException,
      client: 'ElasticLoadBalancingClient',
    },
    elbv2: {
      module: elbv2,
      base: elbv2.ElasticLoadBalancingV2ServiceException,
      client: 'ElasticLoadBalancingV2Client',
    },
    securityhub: {
      module: securityhub,
      base: securityhub.SecurityHubServiceException,
      client: 'SecurityHubClient',
    },
    guardduty: {
      module: guardduty,
      base: guardduty.GuardDutyServiceException,
      client: 'GuardDutyClient',
    },
    ebs: { module: ebs, base: ebs.EBSServiceException, client: 'EBSClient' },
    sqs: { module: sqs, base: sqs.SQSServiceException, client: 'SQSClient' },
    cloudtrail: {
      module: cloudtrail,
      base: cloudtrail.CloudTrailServiceException,
      client: 'CloudTrailClient',
    },
  };

/** The service a client class name belongs to (`EC2Client` -> `ec2`), or undefined when not simulated. */
export function serviceOfClient(clientName: string): ServiceKey | undefined {
  for (const [key, value] of Object.entries(services))
    if (value.client === clientName) return key as ServiceKey;
  return undefined;
}

let requestCounter = 0;

/**
 * An AWS service error: `awsError('ec2', 'InvalidInstanceID.NotFound', "The instance ID 'i-1' does not exist")`.
 * Status defaults to 400 (client fault); pass 5xx for server faults.
 */
export function awsError(service: ServiceKey, code: string, message: string, status = 400): Error {
  const { module, base } = services[service];
  const $fault = status >= 500 ? 'server' : 'client';
  requestCounter += 1;
  const $metadata = {
    httpStatusCode: status,
    requestId: `sim-${requestCounter.toString(16).padStart(8, '0')}`,
    attempts: 1,
    totalRetryDelay: 0,
  };
  const modelled = [code, `${code}Exception`, `${code}Fault`]
    .map((name) => module[name])
    .find((ctor): ctor is ExceptionCtor => typeof ctor === 'function' && ctor.prototype instanceof base);
  const error = modelled
    ? new modelled({ $metadata, message, Message: message })
    : new base({ name: code, $fault, $metadata, message });
  // Query-protocol services report the wire code as the name even when modelled under another class name.
  if (!modelled) Object.assign(error, { Code: code });
  Object.assign(error, { $fault });
  return error;
}

/** The error name each service uses when it throttles a caller, with its HTTP status. */
export const THROTTLE: Record<ServiceKey, [string, number]> = {
  ec2: ['RequestLimitExceeded', 503],
  s3: ['SlowDown', 503],
  sts: ['Throttling', 400],
  iam: ['Throttling', 400],
  autoscaling: ['Throttling', 400],
  elb: ['Throttling', 400],
  elbv2: ['Throttling', 400],
  ssm: ['ThrottlingException', 400],
  kms: ['ThrottlingException', 400],
  securityhub: ['TooManyRequestsException', 429],
  guardduty: ['TooManyRequestsException', 429],
  ebs: ['ThrottlingException', 400],
  sqs: ['RequestThrottled', 403],
  cloudtrail: ['ThrottlingException', 400],
};

/** The error name each service uses when the caller lacks permission. */
export const DENIED: Record<ServiceKey, [string, number]> = {
  ec2: ['UnauthorizedOperation', 403],
  s3: ['AccessDenied', 403],
  sts: ['AccessDenied', 403],
  iam: ['AccessDenied', 403],
  autoscaling: ['AccessDenied', 403],
  elb: ['AccessDenied', 403],
  elbv2: ['AccessDenied', 403],
  ssm: ['AccessDeniedException', 400],
  kms: ['AccessDeniedException', 400],
  securityhub: ['AccessDeniedException', 403],
  guardduty: ['AccessDeniedException', 403],
  ebs: ['AccessDeniedException', 403],
  sqs: ['AccessDenied', 403],
  cloudtrail: ['AccessDeniedException', 400],
};
