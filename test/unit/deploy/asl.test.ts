import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { describe, expect, it } from 'vitest';
import { integrations, pascalCase, substitutionNames, type WorkflowDefinition } from '../../../deploy/asl.js';
import { AlarmTopic } from '../../../deploy/constructs/alarms.js';
import { Workflow, workflowArn } from '../../../deploy/constructs/workflows.js';

/** A definition substitution placeholder, `${Name}`. */
const ph = (name: string) => `\${${name}}`;

const task = (resource: string, parameters: Record<string, unknown>, next?: string) => ({
  Type: 'Task',
  Resource: resource,
  Parameters: parameters,
  ...(next ? { Next: next } : { End: true }),
});

/** A parent that calls the steps function, waits for approval, and runs a child synchronously. */
const PARENT = {
  StartAt: 'Prepare',
  States: {
    Prepare: task(
      'arn:aws:states:::lambda:invoke',
      { FunctionName: ph('StepsFunctionArn'), 'Payload.$': '$' },
      'Approve',
    ),
    Approve: task(
      'arn:aws:states:::lambda:invoke.waitForTaskToken',
      { FunctionName: ph('StepsFunctionArn'), Payload: { 'token.$': '$$.Task.Token' } },
      'Both',
    ),
    Both: {
      Type: 'Parallel',
      Branches: [
        {
          StartAt: 'Contain',
          States: {
            Contain: task('arn:aws:states:::states:startExecution.sync:2', {
              StateMachineArn: ph('ContainStateMachineArn'),
              'Input.$': '$',
            }),
          },
        },
      ],
      End: true,
    },
  },
};
const CHILD = {
  StartAt: 'Isolate',
  States: { Isolate: task('arn:aws:states:::lambda:invoke', { FunctionName: ph('StepsFunctionArn') }) },
};
const def = (name: string, asl: object): WorkflowDefinition => ({
  name,
  pascal: pascalCase(name),
  text: JSON.stringify(asl),
});

function build(definition: WorkflowDefinition, substitutions?: Record<string, string>) {
  const stack = new Stack(new App(), 'Test', { env: { account: '111111111111', region: 'us-east-1' } });
  const steps = new lambda.Function(stack, 'Steps', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const workflow = new Workflow(stack, 'Wf', {
    definition,
    substitutions: substitutions ?? {
      StepsFunctionArn: steps.functionArn,
      ContainStateMachineArn: workflowArn(stack, 'Contain'),
    },
    functions: [steps],
    alarms: new AlarmTopic(stack, 'Alarms'),
  });
  return { stack, workflow, template: Template.fromStack(stack) };
}

describe('Function: substitutionNames / integrations', () => {
  it('lists the substitutions a definition uses, once each', () => {
    // Act
    const names = substitutionNames(JSON.stringify(PARENT));

    // Assess
    expect(names).toEqual(['ContainStateMachineArn', 'StepsFunctionArn']);
  });

  it('finds every Task, inside Parallel branches too, and what it calls', () => {
    // Act
    const calls = integrations(JSON.stringify(PARENT));

    // Assess
    expect(calls).toEqual([
      { kind: 'lambda', functionArn: ph('StepsFunctionArn'), waitForTaskToken: false },
      { kind: 'lambda', functionArn: ph('StepsFunctionArn'), waitForTaskToken: true },
      { kind: 'startExecution', stateMachineArn: ph('ContainStateMachineArn'), sync: true },
    ]);
  });

  it('names a file acquire-memory AcquireMemory', () => {
    expect(pascalCase('acquire-memory')).toBe('AcquireMemory');
  });
});

describe('Function: Workflow', () => {
  it('inlines the definition with every placeholder substituted', () => {
    // Act
    const { template } = build(def('case', PARENT));

    // Assess
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine')) as {
      Properties: {
        DefinitionString: unknown;
        DefinitionSubstitutions: Record<string, unknown>;
        StateMachineName: string;
      };
    }[];
    expect(machine!.Properties.StateMachineName).toBe('ForensicsBot-Case');
    expect(Object.keys(machine!.Properties.DefinitionSubstitutions).sort()).toEqual([
      'ContainStateMachineArn',
      'StepsFunctionArn',
    ]);
    expect(JSON.stringify(machine!.Properties)).not.toContain('DefinitionS3Location');
  });

  it('grants InvokeFunction on the steps function and StartExecution on the child only', () => {
    // Act
    const { template } = build(def('case', PARENT));

    // Assess
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).map((p) =>
      JSON.stringify((p as { Properties: unknown }).Properties),
    );
    const text = policies.join('\n');
    expect(text).toContain(
      '"Action":"lambda:InvokeFunction","Effect":"Allow","Resource":{"Fn::GetAtt":["Steps',
    );
    const start = /"Action":"states:StartExecution","Effect":"Allow","Resource":(\{[^}]*\}[^}]*\})/.exec(
      text,
    )?.[1];
    expect(start).toContain(':stateMachine:ForensicsBot-Contain"');
    expect(start).not.toContain('*');
    expect(text).toContain('StepFunctionsGetEventsForStepFunctionsExecutionRule');
    expect(text).not.toMatch(/"Action":"states:\*"|"Action":"lambda:\*"/);
  });

  it('logs all events without execution data (task tokens stay out of the logs) and traces', () => {
    // Act
    const { template } = build(def('contain', CHILD));

    // Assess
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false, Destinations: [Match.anyValue()] },
      TracingConfiguration: { Enabled: true },
    });
  });

  it('refuses a definition that uses a substitution the deploy does not provide', () => {
    // Prepare
    const asl = {
      StartAt: 'X',
      States: { X: task('arn:aws:states:::lambda:invoke', { FunctionName: ph('OtherFunctionArn') }) },
    };

    // Act / Assess
    expect(() => build(def('odd', asl))).toThrow(/OtherFunctionArn/);
  });

  it('refuses a service integration it would grant nothing for', () => {
    // Prepare
    const asl = { StartAt: 'X', States: { X: task('arn:aws:states:::aws-sdk:ec2:describeInstances', {}) } };

    // Act / Assess
    expect(() => build(def('odd', asl))).toThrow(/aws-sdk:ec2:describeInstances/);
  });
});
