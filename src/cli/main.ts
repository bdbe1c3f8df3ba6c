import 'reflect-metadata';
import { Command, CommanderError } from 'commander';
import { registerAuditCommands } from './audit-commands';
import { CliError, EXIT } from './cli-errors';
import { registerDeliveryCommands } from './delivery-commands';
import { registerEventCommands } from './event-commands';
import { registerGrantCommands } from './grant-commands';
import { registerHashCommands } from './hash-commands';
import { registerKeyCommands } from './key-commands';
import { registerLegalCommands } from './legal-commands';
import { registerPartnerCommands } from './partner-commands';
import { registerPublishCommands } from './publish-commands';
import { registerScoreCommands } from './score-commands';
import { registerSignCommands } from './sign-commands';
import { registerVerifyCommands } from './verify-commands';
import { examples } from './output';

const program = new Command();
program
  .name('risk-exchange')
  .description('Risk Exchange command line for partners and operators.\n\nExit codes: 0 success, 1 refused or a failed check, 2 usage or configuration error, 3 gateway unreachable.')
  .showHelpAfterError('(add --help for the options and examples)')
  .addHelpText('after', examples('export RISKX_URL=http://localhost:4000 RISKX_KEY=bank-a.private.jwk RISKX_PARTNER=bank-a', 'risk-exchange score v1:kH3PqG...', 'risk-exchange <command> --help'))
  // Inherited by every command registered below: usage errors exit 2, help exits 0.
  .exitOverride((err: CommanderError) => {
    const helpShown = ['commander.helpDisplayed', 'commander.help', 'commander.version'].includes(err.code);
    process.exit(helpShown ? err.exitCode : EXIT.usage);
  });

registerKeyCommands(program);
registerHashCommands(program);
registerSignCommands(program);
registerPublishCommands(program);
registerScoreCommands(program);
registerEventCommands(program);
registerGrantCommands(program);
registerDeliveryCommands(program);
registerVerifyCommands(program);
registerPartnerCommands(program);
registerAuditCommands(program);
registerLegalCommands(program);

program.parseAsync(process.argv).then(
  () => process.exit(process.exitCode ?? 0),
  (e: Error) => {
    // Expected failures carry their exit code; anything else is a fault of the CLI: the message,
    // and the stack only when asked (RISKX_DEBUG=1).
    process.stderr.write(`error: ${e.message}\n`);
    if (!(e instanceof CliError) && process.env.RISKX_DEBUG) process.stderr.write(`${e.stack}\n`);
    process.exit(e instanceof CliError ? e.exitCode : EXIT.refused);
  },
);
