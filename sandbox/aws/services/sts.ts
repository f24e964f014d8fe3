/**
 * STS: AssumeRole hands out credentials that the organization maps back to account, role, session name,
 * session policy and expiry. Trust is checked as the roles' trust policies say: the caller's account
 * must be trusted, the ExternalId must match when the role requires one, and the role must exist.
 */
import type * as STS from '@aws-sdk/client-sts';
import type { HandlerTable } from '../handler.js';
import { handler } from '../handler.js';
import { isDenied } from '../faults.js';
import { parsePolicy } from '../policy.js';
import type { Session } from '../world.js';

const ROLE_ARN_RE = /^arn:aws:iam::(\d{12}):role\/(?:[\w+=,.@/-]*\/)?([\w+=,.@-]{1,64})$/;
const SESSION_NAME_RE = /^[\w+=,.@-]{2,64}$/;

export const stsHandlers: HandlerTable = {
  GetCallerIdentityCommand: handler<STS.GetCallerIdentityCommandInput, STS.GetCallerIdentityCommandOutput>(
    (ctx) => ({
      Account: ctx.caller.account,
      Arn: ctx.caller.arn,
      UserId: ctx.caller.session
        ? `AROA${ctx.caller.session.roleName.toUpperCase().slice(0, 12)}:${ctx.caller.session.sessionName}`
        : 'AROASIMULATEDLAMBDA:forensics-bot',
    }),
  ),

  AssumeRoleCommand: handler<STS.AssumeRoleCommandInput, STS.AssumeRoleCommandOutput>((ctx, input) => {
    const match = ROLE_ARN_RE.exec(input.RoleArn ?? '');
    if (!match) ctx.fail('ValidationError', `${input.RoleArn} is invalid`);
    const [, account, roleName] = match!;
    if (!input.RoleSessionName || !SESSION_NAME_RE.test(input.RoleSessionName))
      ctx.fail(
        'ValidationError',
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint",
      );
    const duration = input.DurationSeconds ?? 3600;
    // A chained session (caller already holds a role session) may last at most one hour.
    if (duration < 900 || duration > 3600)
      ctx.fail(
        'ValidationError',
        `The requested DurationSeconds exceeds the MaxSessionDuration set for this role.`,
      );
    if (input.Policy !== undefined) {
      if (input.Policy.length > 2048)
        ctx.fail('PackedPolicyTooLarge', 'Packed size of the session policy exceeds the limit');
      const parsed = parsePolicy(input.Policy);
      if (typeof parsed === 'string') ctx.fail('MalformedPolicyDocument', parsed);
    }
    const role = ctx.world.account(account!).roles.get(roleName!);
    const denied = () =>
      ctx.fail(
        'AccessDenied',
        `User: ${ctx.caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${input.RoleArn}`,
        403,
      );
    if (!role) denied();
    if (!role!.trust.accounts.includes(ctx.caller.account)) denied();
    if (role!.trust.externalId !== undefined && input.ExternalId !== role!.trust.externalId) denied();
    if (isDenied(ctx.faults, account!, 'AssumeRole')) denied();
    const now = ctx.clock.now();
    const session: Session = {
      accessKeyId: `ASIA${ctx.world.token(16)}`,
      secretAccessKey: ctx.world.token(
        40,
        'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/',
      ),
      sessionToken: `IQoJsim${ctx.world.token(120, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}`,
      account: account!,
      roleName: roleName!,
      sessionName: input.RoleSessionName!,
      policy: input.Policy,
      issuedAt: now,
      expiresAt: now + duration * 1000,
    };
    ctx.world.sessions.set(session.accessKeyId, session);
    return {
      Credentials: {
        AccessKeyId: session.accessKeyId,
        SecretAccessKey: session.secretAccessKey,
        SessionToken: session.sessionToken,
        Expiration: new Date(session.expiresAt),
      },
      AssumedRoleUser: {
        AssumedRoleId: `${role!.roleId}:${session.sessionName}`,
        Arn: `arn:aws:sts::${account}:assumed-role/${roleName}/${session.sessionName}`,
      },
      PackedPolicySize: input.Policy ? Math.ceil((input.Policy.length / 2048) * 100) : undefined,
    };
  }),
};
