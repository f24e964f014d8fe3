import { type CfnCondition, CfnResource, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * Acknowledges cdk-nag findings on one construct (and what it contains), each with its reason.
 * IAM4/IAM5 need the full finding id (`AwsSolutions-IAM5[Resource::…]`), so an acknowledgement covers
 * exactly one wildcard, never every wildcard the resource might gain later.
 */
export function acknowledge(scope: IConstruct, findings: Readonly<Record<string, string>>): void {
  for (const [id, reason] of Object.entries(findings)) {
    if (reason.trim().length < 20) throw new Error(`acknowledgement of ${id} needs a real reason`);
    Validations.of(scope).acknowledge({ id, reason });
  }
}

/** Puts every CloudFormation resource under `scope` under one condition (e.g. IAM only in the home region). */
export function applyCondition(scope: IConstruct, condition: CfnCondition | undefined): void {
  if (!condition) return;
  for (const c of scope.node.findAll()) {
    if (CfnResource.isCfnResource(c)) c.cfnOptions.condition = condition;
  }
}

/** Reason shared by every `Describe*`-style wildcard. */
export const NO_RESOURCE_LEVEL =
  'these read-only APIs (Describe*/Get* of EC2, Auto Scaling, ELB, SSM) do not support resource-level permissions, so IAM requires "*"';
