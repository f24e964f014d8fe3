/**
 * Auto Scaling groups, ELBv2 target groups and classic load balancers. Detaching from a group
 * deregisters the instance from the group's target groups and load balancers (as AWS does); with
 * `ShouldDecrementDesiredCapacity: false` desired capacity stays and the group launches a replacement
 * (recorded as a new instance id in state `Pending`).
 */
import type * as ASG from '@aws-sdk/client-auto-scaling';
import type * as ELB from '@aws-sdk/client-elastic-load-balancing';
import type * as ELBv2 from '@aws-sdk/client-elastic-load-balancing-v2';
import type { CallContext, HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import type { AutoScalingGroup, TargetGroup } from '../world.js';

function requireGroup(ctx: CallContext, name: string | undefined): AutoScalingGroup {
  const group = ctx.here.autoScalingGroups.get(name ?? '');
  if (!group) ctx.fail('ValidationError', `AutoScalingGroup name not found - ${name}`);
  return group!;
}

function requireTargetGroup(ctx: CallContext, arn: string | undefined): TargetGroup {
  const tg = ctx.here.targetGroups.get(arn ?? '');
  if (!tg) ctx.fail('TargetGroupNotFound', `Target groups '${arn}' not found`);
  return tg!;
}

function requireLoadBalancer(ctx: CallContext, name: string | undefined) {
  const lb = ctx.here.loadBalancers.get(name ?? '');
  if (!lb) ctx.fail('LoadBalancerNotFound', `There is no ACTIVE Load Balancer named '${name}'`);
  return lb!;
}

function activity(ctx: CallContext, group: string, description: string): ASG.Activity {
  return {
    ActivityId: ctx.world.token(32, '0123456789abcdef'),
    AutoScalingGroupName: group,
    Description: description,
    Cause: `At ${ctx.now().toISOString()} ${description.toLowerCase()}`,
    StartTime: ctx.now(),
    StatusCode: 'InProgress',
    Progress: 50,
  };
}

export const autoScalingHandlers: HandlerTable = {
  DescribeAutoScalingInstancesCommand: handler<
    ASG.DescribeAutoScalingInstancesCommandInput,
    ASG.DescribeAutoScalingInstancesCommandOutput
  >((ctx, input) => ({
    AutoScalingInstances: [...ctx.here.autoScalingGroups.values()].flatMap((g) =>
      g.instances
        .filter((i) => !input.InstanceIds?.length || input.InstanceIds.includes(i.instanceId))
        .map((i) => ({
          InstanceId: i.instanceId,
          AutoScalingGroupName: g.name,
          AvailabilityZone: i.availabilityZone,
          LifecycleState: i.lifecycleState,
          HealthStatus: 'HEALTHY',
          ProtectedFromScaleIn: false,
          InstanceType: 't3.medium',
        })),
    ),
  })),

  DescribeAutoScalingGroupsCommand: handler<
    ASG.DescribeAutoScalingGroupsCommandInput,
    ASG.DescribeAutoScalingGroupsCommandOutput
  >((ctx, input) => ({
    AutoScalingGroups: [...ctx.here.autoScalingGroups.values()]
      .filter((g) => !input.AutoScalingGroupNames?.length || input.AutoScalingGroupNames.includes(g.name))
      .map((g) => ({
        AutoScalingGroupName: g.name,
        AutoScalingGroupARN: g.arn,
        MinSize: g.minSize,
        MaxSize: g.maxSize,
        DesiredCapacity: g.desiredCapacity,
        DefaultCooldown: 300,
        AvailabilityZones: [...new Set(g.instances.map((i) => i.availabilityZone))],
        HealthCheckType: 'EC2',
        CreatedTime: new Date(0),
        TargetGroupARNs: g.targetGroupArns,
        LoadBalancerNames: g.loadBalancerNames,
        Instances: g.instances.map((i) => ({
          InstanceId: i.instanceId,
          AvailabilityZone: i.availabilityZone,
          LifecycleState: i.lifecycleState as ASG.LifecycleState,
          HealthStatus: 'Healthy',
          ProtectedFromScaleIn: false,
        })),
      })),
  })),

  DetachInstancesCommand: handler<ASG.DetachInstancesCommandInput, ASG.DetachInstancesCommandOutput>(
    (ctx, input) => {
      const group = requireGroup(ctx, input.AutoScalingGroupName);
      if (input.ShouldDecrementDesiredCapacity === undefined)
        ctx.fail('ValidationError', 'ShouldDecrementDesiredCapacity is required');
      const ids = input.InstanceIds ?? [];
      for (const id of ids)
        if (!group.instances.some((i) => i.instanceId === id))
          ctx.fail('ValidationError', `The instance ${id} is not part of Auto Scaling group ${group.name}.`);
      if (input.ShouldDecrementDesiredCapacity && group.desiredCapacity - ids.length < group.minSize)
        ctx.fail(
          'ValidationError',
          `Desired capacity:${group.desiredCapacity - ids.length} must be >= min size:${group.minSize}`,
        );
      group.instances = group.instances.filter((i) => !ids.includes(i.instanceId));
      for (const tgArn of group.targetGroupArns) {
        const tg = ctx.here.targetGroups.get(tgArn);
        if (tg) tg.targets = tg.targets.filter((t) => !ids.includes(t.id));
      }
      for (const name of group.loadBalancerNames) {
        const lb = ctx.here.loadBalancers.get(name);
        if (lb) lb.instanceIds = lb.instanceIds.filter((id) => !ids.includes(id));
      }
      if (input.ShouldDecrementDesiredCapacity) group.desiredCapacity -= ids.length;
      else
        for (const id of ids)
          group.instances.push({
            instanceId: `replacement-for-${id}`,
            lifecycleState: 'Pending',
            availabilityZone: ctx.here.instances.get(id)?.availabilityZone ?? `${ctx.here.region}a`,
          });
      return { Activities: ids.map((id) => activity(ctx, group.name, `Detaching EC2 instance: ${id}`)) };
    },
  ),

  AttachInstancesCommand: handler<ASG.AttachInstancesCommandInput, ASG.AttachInstancesCommandOutput>(
    (ctx, input) => {
      const group = requireGroup(ctx, input.AutoScalingGroupName);
      const ids = input.InstanceIds ?? [];
      for (const id of ids) {
        const instance = ctx.here.instances.get(id);
        if (!instance || instance.state !== 'running')
          ctx.fail(
            'ValidationError',
            `Instance ${id} is not in correct state (running) to attach to the group`,
          );
      }
      if (group.desiredCapacity + ids.length > group.maxSize)
        ctx.fail(
          'ValidationError',
          `New SetDesiredCapacity value ${group.desiredCapacity + ids.length} is above max value ${group.maxSize}`,
        );
      for (const id of ids) {
        group.instances.push({
          instanceId: id,
          lifecycleState: 'InService',
          availabilityZone: ctx.here.instances.get(id)!.availabilityZone,
        });
        for (const tgArn of group.targetGroupArns) {
          const tg = ctx.here.targetGroups.get(tgArn);
          if (tg && !tg.targets.some((t) => t.id === id)) tg.targets.push({ id, port: tg.port });
        }
        for (const name of group.loadBalancerNames) {
          const lb = ctx.here.loadBalancers.get(name);
          if (lb && !lb.instanceIds.includes(id)) lb.instanceIds.push(id);
        }
      }
      group.desiredCapacity += ids.length;
      return {};
    },
  ),
};

export const elbv2Handlers: HandlerTable = {
  DescribeTargetGroupsCommand: handler<
    ELBv2.DescribeTargetGroupsCommandInput,
    ELBv2.DescribeTargetGroupsCommandOutput
  >((ctx, input) => {
    let groups = [...ctx.here.targetGroups.values()];
    if (input.TargetGroupArns?.length)
      groups = input.TargetGroupArns.map((arn) => requireTargetGroup(ctx, arn));
    if (input.Names?.length) groups = groups.filter((g) => input.Names!.includes(g.name));
    if (input.LoadBalancerArn)
      groups = groups.filter((g) => g.loadBalancerArns.includes(input.LoadBalancerArn!));
    return {
      TargetGroups: groups.map((g) => ({
        TargetGroupArn: g.arn,
        TargetGroupName: g.name,
        Protocol: g.protocol as ELBv2.ProtocolEnum,
        Port: g.port,
        VpcId: g.vpcId,
        TargetType: 'instance',
        LoadBalancerArns: g.loadBalancerArns,
      })),
    };
  }),

  DescribeTargetHealthCommand: handler<
    ELBv2.DescribeTargetHealthCommandInput,
    ELBv2.DescribeTargetHealthCommandOutput
  >((ctx, input) => {
    const tg = requireTargetGroup(ctx, input.TargetGroupArn);
    const targets = input.Targets?.length
      ? tg.targets.filter((t) => input.Targets!.some((w) => w.Id === t.id))
      : tg.targets;
    return {
      TargetHealthDescriptions: targets.map((t) => ({
        Target: { Id: t.id, Port: t.port },
        HealthCheckPort: String(t.port),
        TargetHealth: { State: 'healthy' },
      })),
    };
  }),

  DeregisterTargetsCommand: handler<
    ELBv2.DeregisterTargetsCommandInput,
    ELBv2.DeregisterTargetsCommandOutput
  >((ctx, input) => {
    const tg = requireTargetGroup(ctx, input.TargetGroupArn);
    for (const target of input.Targets ?? []) {
      if (!target.Id?.startsWith('i-') || !ctx.here.instances.has(target.Id))
        ctx.fail('InvalidTarget', `The following targets are not valid: '${target.Id}'`);
      tg.targets = tg.targets.filter(
        (t) => !(t.id === target.Id && (target.Port === undefined || t.port === target.Port)),
      );
    }
    return {};
  }),

  RegisterTargetsCommand: handler<ELBv2.RegisterTargetsCommandInput, ELBv2.RegisterTargetsCommandOutput>(
    (ctx, input) => {
      const tg = requireTargetGroup(ctx, input.TargetGroupArn);
      for (const target of input.Targets ?? []) {
        const instance = ctx.here.instances.get(target.Id ?? '');
        if (!instance || instance.state !== 'running')
          ctx.fail(
            'InvalidTarget',
            `The following targets are not in a running state and cannot be registered: '${target.Id}'`,
          );
        const port = target.Port ?? tg.port;
        if (!tg.targets.some((t) => t.id === target.Id && t.port === port))
          tg.targets.push({ id: target.Id!, port });
      }
      return {};
    },
  ),
};

export const elbHandlers: HandlerTable = {
  DescribeLoadBalancersCommand: handler<
    ELB.DescribeLoadBalancersCommandInput,
    ELB.DescribeLoadBalancersCommandOutput
  >((ctx, input) => {
    const lbs = input.LoadBalancerNames?.length
      ? input.LoadBalancerNames.map((name) => requireLoadBalancer(ctx, name))
      : [...ctx.here.loadBalancers.values()];
    return {
      LoadBalancerDescriptions: lbs.map((lb) => ({
        LoadBalancerName: lb.name,
        DNSName: lb.dnsName,
        VPCId: lb.vpcId,
        Subnets: lb.subnetIds,
        Scheme: 'internet-facing',
        Instances: lb.instanceIds.map((InstanceId) => ({ InstanceId })),
        CreatedTime: new Date(0),
      })),
    };
  }),

  DeregisterInstancesFromLoadBalancerCommand: handler<
    ELB.DeregisterInstancesFromLoadBalancerCommandInput,
    ELB.DeregisterInstancesFromLoadBalancerCommandOutput
  >((ctx, input) => {
    const lb = requireLoadBalancer(ctx, input.LoadBalancerName);
    const ids = (input.Instances ?? []).map((i) => i.InstanceId ?? '');
    for (const id of ids)
      if (!lb.instanceIds.includes(id))
        ctx.fail('InvalidInstance', `The instance ${id} is not registered with ${lb.name}`);
    lb.instanceIds = lb.instanceIds.filter((id) => !ids.includes(id));
    return { Instances: lb.instanceIds.map((InstanceId) => ({ InstanceId })) };
  }),

  RegisterInstancesWithLoadBalancerCommand: handler<
    ELB.RegisterInstancesWithLoadBalancerCommandInput,
    ELB.RegisterInstancesWithLoadBalancerCommandOutput
  >((ctx, input) => {
    const lb = requireLoadBalancer(ctx, input.LoadBalancerName);
    for (const { InstanceId } of input.Instances ?? []) {
      const instance = ctx.here.instances.get(InstanceId ?? '');
      if (!instance || instance.state === 'terminated')
        ctx.fail('InvalidInstance', `The instance ${InstanceId} is not in a valid state`);
      if (!lb.instanceIds.includes(InstanceId!)) lb.instanceIds.push(InstanceId!);
    }
    return { Instances: lb.instanceIds.map((InstanceId) => ({ InstanceId })) };
  }),
};
