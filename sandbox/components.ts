/**
 * The parts of forensics-bot the sandbox runs, loaded by module path so that the sandbox still starts
 * (and says what is missing) while one of them is being built. Each is typed here by the small surface
 * the sandbox uses.
 */
import type { FunctionUrlHandler } from './slack/local-slack.js';

export type EventHandler = (event: any, context?: unknown) => Promise<unknown>;

/** What the sandbox uses of `sandbox/aws/organization.ts`'s `SimulatedOrganization`. */
export interface OrganizationLike {
  seedDefault(): unknown;
  install(): unknown;
  uninstall(): void;
  state(): unknown;
  setFaults(faults: Record<string, unknown>): void;
  getFaults?(): unknown;
  objectBody?(bucket: string, key: string, versionId?: string): SimObject | undefined;
}

/** An object of the simulated S3 as `GET /api/cloud/s3/:bucket/<key>` serves it. */
export interface SimObject {
  body: Buffer;
  contentType?: string;
  versionId: string;
  sha256: string;
}

export interface OrganizationCtor {
  new (options?: Record<string, unknown>): OrganizationLike;
}

/** What the sandbox uses of `sandbox/stepfunctions/local-sfn.ts`'s `LocalStepFunctions`. */
export interface StepFunctionsLike {
  stop?(): unknown;
  startExecution?(input: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
  };
  /** Every execution so far (to wait for the ones stopping). */
  executions?(): { executionArn: string }[];
  /** Resolves when the execution has stopped and its last status event was handled. */
  waitFor?(executionArn: string): Promise<unknown>;
  close?(): unknown;
  uninstall?(): unknown;
}

export interface StepFunctionsCtor {
  new (options: Record<string, any>): StepFunctionsLike;
}

export interface Components {
  slack?: FunctionUrlHandler;
  findings?: EventHandler;
  progress?: EventHandler;
  steps?: EventHandler;
  SimulatedOrganization?: OrganizationCtor;
  LocalStepFunctions?: StepFunctionsCtor;
  /** The whole module of local-sfn (it may export the definitions loader too). */
  stepFunctionsModule?: Record<string, unknown>;
  /** One line per part that could not be loaded, with the reason. */
  missing: string[];
}

async function load(path: string, missing: string[]): Promise<Record<string, unknown> | undefined> {
  try {
    // A computed specifier keeps the type checker from requiring modules that have not landed yet.
    const specifier = new URL(path, import.meta.url).href;
    return (await import(specifier)) as Record<string, unknown>;
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    missing.push(`${path.replace(/^\.\.?\//, '')}: ${reason}`);
    return undefined;
  }
}

function pick<T>(
  module: Record<string, unknown> | undefined,
  name: string,
  path: string,
  missing: string[],
): T | undefined {
  if (!module) return undefined;
  const value = module[name];
  if (typeof value !== 'function') {
    missing.push(`${path.replace(/^\.\.?\//, '')}: has no export "${name}"`);
    return undefined;
  }
  return value as T;
}

/** Imports the handlers and the local AWS parts. Set the environment first: handlers read it at load. */
export async function loadComponents(): Promise<Components> {
  const missing: string[] = [];
  const paths = {
    slack: '../handlers/slack.ts',
    findings: '../handlers/findings.ts',
    progress: '../handlers/progress.ts',
    steps: '../handlers/steps.ts',
    org: './aws/organization.ts',
    sfn: './stepfunctions/local-sfn.ts',
  };
  const [slack, findings, progress, steps, org, sfn] = await Promise.all(
    Object.values(paths).map((path) => load(path, missing)),
  );
  return {
    slack: pick(slack, 'handler', paths.slack, missing),
    findings: pick(findings, 'handler', paths.findings, missing),
    progress: pick(progress, 'handler', paths.progress, missing),
    steps: pick(steps, 'handler', paths.steps, missing),
    SimulatedOrganization: pick(org, 'SimulatedOrganization', paths.org, missing),
    LocalStepFunctions: pick(sfn, 'LocalStepFunctions', paths.sfn, missing),
    stepFunctionsModule: sfn,
    missing,
  };
}

/**
 * Counts the handler calls in flight, so that stopping the sandbox can let them finish before DynamoDB
 * closes (dynalite throws an uncaught "Database is closed" for a request it had queued).
 */
export class InFlight {
  private readonly calls = new Set<Promise<unknown>>();

  get size(): number {
    return this.calls.size;
  }

  /** The same function, its calls counted until they settle. */
  wrap<A extends unknown[], R>(fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    return (...args: A) => {
      const call = fn(...args);
      this.calls.add(call);
      const forget = () => this.calls.delete(call);
      call.then(forget, forget);
      return call;
    };
  }

  /** Resolves when no call is in flight (calls started meanwhile included), or after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.size > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.calls]),
        new Promise((resolve) => {
          timer = setTimeout(resolve, left);
        }),
      ]);
      clearTimeout(timer);
    }
    return true;
  }

  /** The components with every handler's calls counted. */
  track(components: Components): Components {
    const wrap = <F extends (...args: never[]) => Promise<unknown>>(fn: F | undefined): F | undefined =>
      fn ? (this.wrap(fn) as F) : undefined;
    return {
      ...components,
      slack: wrap(components.slack),
      findings: wrap(components.findings),
      progress: wrap(components.progress),
      steps: wrap(components.steps),
    };
  }
}
