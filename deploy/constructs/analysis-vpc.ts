import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

export interface AnalysisVpcProps {
  readonly cidr: string;
  /** Given explicitly so synth needs no availability-zone lookup (offline). */
  readonly availabilityZones: string[];
}

/**
 * Where forensic instances examine evidence: isolated subnets only (no internet gateway, no NAT, so no
 * route out), SSM reachable through interface endpoints (ssm, ssmmessages, ec2messages) so analysts use
 * Session Manager, S3 through a gateway endpoint for the evidence bucket, and flow logs of everything.
 */
export class AnalysisVpc extends Construct {
  readonly vpc: ec2.Vpc;

  constructor(scope: Construct, id: string, props: AnalysisVpcProps) {
    super(scope, id);
    this.vpc = new ec2.Vpc(this, 'Vpc', {
      ipAddresses: ec2.IpAddresses.cidr(props.cidr),
      availabilityZones: props.availabilityZones,
      natGateways: 0,
      createInternetGateway: false,
      subnetConfiguration: [{ name: 'analysis', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 }],
      restrictDefaultSecurityGroup: false,
      gatewayEndpoints: { S3: { service: ec2.GatewayVpcEndpointAwsService.S3 } },
    });
    const flowLogs = new logs.LogGroup(this, 'FlowLogs', {
      retention: logs.RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    this.vpc.addFlowLog('FlowLog', {
      destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogs),
      trafficType: ec2.FlowLogTrafficType.ALL,
    });
    const endpoints = {
      Ssm: ec2.InterfaceVpcEndpointAwsService.SSM,
      SsmMessages: ec2.InterfaceVpcEndpointAwsService.SSM_MESSAGES,
      Ec2Messages: ec2.InterfaceVpcEndpointAwsService.EC2_MESSAGES,
    };
    // HTTPS from inside the VPC only (the CIDR is literal, so the rule is checkable at synth)
    const endpointGroup = new ec2.SecurityGroup(this, 'EndpointGroup', {
      vpc: this.vpc,
      description: 'forensics-bot: HTTPS to the SSM endpoints from the analysis VPC',
      allowAllOutbound: false,
    });
    endpointGroup.addIngressRule(ec2.Peer.ipv4(props.cidr), ec2.Port.tcp(443), 'HTTPS from the analysis VPC');
    for (const [name, service] of Object.entries(endpoints)) {
      this.vpc.addInterfaceEndpoint(name, {
        service,
        privateDnsEnabled: true,
        open: false,
        securityGroups: [endpointGroup],
        subnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });
    }
  }
}
