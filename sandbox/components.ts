/**
 * The parts of forensics-bot the sandbox runs: the four real handlers, the simulated organization and the
 * local Step Functions. The handlers are imported only once the sandbox has set the environment (they
 * read it when they load), by literal paths, so the type checker follows every one of them.
 */
import type { SimulatedOrganization } from './aws/organization.js';
import type { LocalStepFunctions, loadDefinitions } from './stepfunctions/local-sfn.js';
import type { FunctionUrlHandler } from './slack/local-slack.js';

export type EventHandler = (event: any, context?: unknown) => Promise<unknown>;

/** An object of the simulated S3 as `GET /api/cloud/s3/:bucket/<key>` serves it. */
export type SimObject = NonNullable<ReturnType<SimulatedOrganization['objectBody']>>;

export interface Components {
  slack: FunctionUrlHandler;
  findings: EventHandler;
  progress: EventHandler;
  steps: EventHandler;
  SimulatedOrganization: typeof SimulatedOrganization;
  LocalStepFunctions: typeof LocalStepFunctions;
  loadDefinitions: typeof loadDefinitions;
}

/** Imports the handlers and the local AWS parts. Set the environment first: handlers read it at load. */
export async function loadComponents(): Promise<Components> {
  const [slack, findings, progress, steps, org, sfn] = await Promise.all([
    import('../handlers/slack.js'),
    import('../handlers/findings.js'),
    import('../handlers/progress.js'),
    import('../handlers/steps.js'),
    import('./aws/organization.js'),
    import('./stepfunctions/local-sfn.js'),
  ]);
  return {
    slack: slack.handler as unknown as FunctionUrlHandler,
    findings: findings.handler,
    progress: progress.handler,
    steps: steps.handler,
    SimulatedOrganization: org.SimulatedOrganization,
    LocalStepFunctions: sfn.LocalStepFunctions,
    loadDefinitions: sfn.loadDefinitions,
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
    const wrap = <F extends (...args: never[]) => Promise<unknown>>(fn: F): F => this.wrap(fn) as F;
    return {
      ...components,
      slack: wrap(components.slack),
      findings: wrap(components.findings),
      progress: wrap(components.progress),
      steps: wrap(components.steps),
    };
  }
}
