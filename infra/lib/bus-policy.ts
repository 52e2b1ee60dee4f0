import type { EventBus } from 'aws-cdk-lib/aws-events';
import { ArnPrincipal, Effect, type IRole, PolicyStatement, StarPrincipal } from 'aws-cdk-lib/aws-iam';

/** Statement ids of the project bus's resource policy. */
export const BUS_SID = {
  allowPublishers: 'AllowControllerPublishers',
  denyOthers: 'DenyOtherPublishers',
} as const;

/**
 * Only the controller's publishers may put events on the project bus. Within one account an IAM
 * identity policy alone suffices to call PutEvents, so an Allow in the bus policy restricts
 * nothing; the Deny does: every principal but the publishers' roles is refused, whatever its own
 * policies say (an explicit Deny wins). Without it any principal of the account allowed
 * `events:PutEvents` on `*` could request reconciles of any group (`Reconcile Requested`).
 * No rule forwards events to this bus, so no service principal needs to publish either.
 */
export function restrictBusPublishers(bus: EventBus, publishers: readonly IRole[]): void {
  const roleArns = publishers.map((role) => role.roleArn);
  bus.addToResourcePolicy(
    new PolicyStatement({
      sid: BUS_SID.allowPublishers,
      effect: Effect.ALLOW,
      principals: roleArns.map((arn) => new ArnPrincipal(arn)),
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
    }),
  );
  bus.addToResourcePolicy(
    new PolicyStatement({
      sid: BUS_SID.denyOthers,
      effect: Effect.DENY,
      principals: [new StarPrincipal()],
      actions: ['events:PutEvents'],
      resources: [bus.eventBusArn],
      // For a role session aws:PrincipalArn is the role's ARN. A request without the key (a service
      // principal) makes StringNotEquals true, so it is refused as well.
      conditions: { StringNotEquals: { 'aws:PrincipalArn': roleArns } },
    }),
  );
}
