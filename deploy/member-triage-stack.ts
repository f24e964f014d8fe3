import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { LiveTriageDocument, type ScriptDocumentProps } from './constructs/capture-memory-document.js';

export interface MemberTriageStackProps extends StackProps {
  readonly liveTriage?: ScriptDocumentProps;
}

/**
 * The `ForensicsBot-LiveTriage` Command document, in every member account and region the member stack
 * goes to (a second StackSet with the same targets; in single-account mode, `cdk deploy --all`). A stack of
 * its own because the member stack is deployed from an inline template of at most 51,200 bytes and the
 * capture document, the IRAutomation role and the profiles leave no room for a second script. It has no
 * parameter and no IAM: `IRAutomation` (member stack) may already run it by name.
 */
export class MemberTriageStack extends Stack {
  constructor(scope: Construct, id: string, props: MemberTriageStackProps = {}) {
    super(scope, id, props);
    new LiveTriageDocument(this, 'LiveTriage', props.liveTriage);
  }
}
