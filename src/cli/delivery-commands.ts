import { Command } from 'commander';

/**
 * The place for `stream` (create, show, update, delete; add and remove subjects) and `poll`
 * (RFC 8936 poll with acknowledgement, `--follow`), issue 16. They are built with the delivery
 * branches (src/delivery/DESIGN.md: /ssf/streams, /ssf/subjects:add|remove, /ssf/poll/:id), so
 * they land with them. To add them: take `withConnection` and `GatewayClient` from
 * ./gateway-client (the client's `fetch` sends to the gateway URL; send
 * `authorization: Bearer ${await client.assertion()}`), subject ids from ./subject-id (a customer
 * file through hash-subject), and verify each polled SET with `explainToken` from
 * ./verify-commands against the gateway's /.well-known/jwks.json.
 */
export function registerDeliveryCommands(program: Command): void {
  void program;
}
