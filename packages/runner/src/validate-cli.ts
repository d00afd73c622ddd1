/** The `validate` and `calibrate` verbs of the livemig CLI. */
import type { Command } from 'commander';
import { formatTable, validate } from './validate.js';

export function registerValidationCommands(program: Command): void {
  program
    .command('validate')
    .description('run every reproduction (an experiment <name>.json with a <name>.reference.csv beside it) and compare with its reference values; exit code 1 when a check fails')
    .argument('[dir]', 'directory of reproductions, or one experiment file', 'experiments/reproductions')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', '\nReference CSV columns: case, where (column=value; ... on the swept columns), metric, reference, tolerance (0.1% relative or an absolute number), source.')
    .action(async (dir: string, o: { json?: boolean }) => {
      const v = await validate(dir);
      process.stdout.write(o.json ? JSON.stringify(v, null, 2) + '\n' : formatTable(v));
      if (v.failed) process.exitCode = 1;
    });
}
