/**
 * `apiauth`: the command line of the service (package.json "bin", via bin/apiauth.js). This file only
 * dispatches: each command group is a file in src/cli/, written on the typed SDK (sdk/), except
 * `admin`, which works on the local database.
 */
import * as admin from './cli/admin';
import * as apis from './cli/apis';
import { commandHelp, GLOBAL_OPTIONS, listing, optionUsage, parseCommandArgs, type Command } from './cli/args';
import * as audit from './cli/audit';
import * as clients from './cli/clients';
import * as demo from './cli/demo';
import { errorLines, EXIT, EXIT_CODES_HELP, exitCodeOf, UsageError } from './cli/errors';
import * as grants from './cli/grants';
import * as keys from './cli/keys';
import * as login from './cli/login';
import { createOutput } from './cli/output';
import { ManagementApiError } from '../sdk/index';
import { openSession, type Session } from './cli/session';
import * as token from './cli/token';

/** The groups in the order `--help` lists them. */
const GROUPS: { summary: string; commands: Command[] }[] = [login, demo, apis, clients, grants, token, keys, audit, admin];
const COMMANDS = GROUPS.flatMap((group) => group.commands);

const mainHelp = () =>
  [
    'Usage: apiauth <command> [options]',
    '',
    'Manage an apiauth service through its Management API. Sign in first (`apiauth login`), or set',
    'APIAUTH_CLIENT_ID, APIAUTH_CLIENT_SECRET and APIAUTH_URL. `apiauth <command> --help` tells more.',
    '',
    'Commands:',
    listing(COMMANDS.map((command) => [command.path, command.summary])),
    '',
    'Options of every command:',
    listing(Object.entries(GLOBAL_OPTIONS).map(([name, spec]) => [optionUsage(name, spec), spec.description])),
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n');

/** The commands of the group `name` (`apis` → apis list, apis create, …). */
function groupHelp(name: string): string {
  const group = GROUPS.find((g) => g.commands.some((command) => command.path.startsWith(`${name} `)))!;
  const commands = listing(group.commands.map((command) => [command.path, command.summary]));
  return `apiauth ${name}: ${group.summary}\n\n${commands}\n\nRun \`apiauth <command> --help\` for its options.\n`;
}

async function main(argv: string[]): Promise<number> {
  // The command's words come first (up to the first option): the longest command path they start with.
  const firstOption = argv.findIndex((arg) => arg.startsWith('-'));
  const words = firstOption < 0 ? argv : argv.slice(0, firstOption);
  const helpWanted = argv.includes('--help') || argv.includes('-h');
  if (words.length === 0 || (words.length === 1 && words[0] === 'help')) {
    if (helpWanted || words[0] === 'help') {
      process.stdout.write(mainHelp());
      return EXIT.ok;
    }
    throw new UsageError(argv.length === 0 ? 'which command?' : 'the command comes first, then its options', mainHelp());
  }
  const command = COMMANDS.filter((c) => {
    const path = c.path.split(' ');
    return path.every((word, i) => words[i] === word);
  }).sort((a, b) => b.path.length - a.path.length)[0];
  if (!command) {
    const group = words[0];
    const known = COMMANDS.some((c) => c.path.startsWith(`${group} `));
    if (known && words.length === 1) {
      if (helpWanted) {
        process.stdout.write(groupHelp(group));
        return EXIT.ok;
      }
      throw new UsageError(`which ${group} command?`, groupHelp(group));
    }
    throw new UsageError(`unknown command "${words.join(' ').slice(0, 100)}"`, known ? groupHelp(group) : mainHelp());
  }
  const { values, positionals } = parseCommandArgs(command, argv.slice(command.path.split(' ').length));
  if (values.help) {
    process.stdout.write(commandHelp(command));
    return EXIT.ok;
  }
  const out = createOutput({ json: values.json === true });
  let session: Session | undefined;
  await command.run({ values, positionals, out, session: async () => (session ??= openSession(out)) });
  return EXIT.ok;
}

/** Failures on stderr: the server's words, a hint where one helps; JSON under --json. */
function report(error: unknown, json: boolean): number {
  const code = exitCodeOf(error);
  const lines = errorLines(error);
  if (json) {
    process.stderr.write(`${JSON.stringify({ error: { exitCode: code, messages: lines } })}\n`);
    return code;
  }
  for (const line of lines) process.stderr.write(`apiauth: ${line}\n`);
  if (error instanceof UsageError && error.help) process.stderr.write(`\n${error.help}`);
  // The Management API refused the token: a stored session that no longer works.
  if (code === EXIT.auth && error instanceof ManagementApiError) process.stderr.write('Sign in again: `apiauth login --help` tells how.\n');
  return code;
}

const argv = process.argv.slice(2);
main(argv).then(
  (code) => process.exit(code),
  (error: unknown) => process.exit(report(error, argv.includes('--json'))),
);
