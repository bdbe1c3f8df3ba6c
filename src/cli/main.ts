import 'reflect-metadata';
import { Command, InvalidArgumentError } from 'commander';
import { registerAuditCommands } from './audit-commands';
import { registerKeyCommands } from './key-commands';

const program = new Command();
program
  .name('risk-exchange')
  .description('Risk Exchange command line: keys and assertions for partners and operators')
  .showHelpAfterError()
  .exitOverride((err) => {
    process.exit(err.exitCode);
  });

registerKeyCommands(program);
registerAuditCommands(program);

program.parseAsync(process.argv).catch((e: Error) => {
  if (!(e instanceof InvalidArgumentError)) process.stderr.write(`error: ${e.message}\n`);
  process.exit(1);
});
