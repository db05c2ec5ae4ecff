/**
 * `oog`: the gateway's command line. Each command is a small module; this file only dispatches and turns
 * failures into a message and an exit code (0 ok, 1 the thing checked failed, 2 usage or set-up error).
 */
import { runCommand } from './commands.js';

const USAGE = `oog — Once-Only Gateway

  oog start [--demo]                          start the gateway (with --demo: demo Meldebehörde and identity provider)
  oog send --as <participant> --evidence <type> --subject <idnr> --purpose <code>
           [--provider <id>] [--fields a,b] [--reference <Aktenzeichen>] [--actor <id>] [--consent-id <id>]
           [--gateway <url>] [--xoev] [--dry-run]
                                              sign an evidence request as a demo agency and send it
  oog poll <exchangeId> --as <agency> [--gateway <url>]
                                              the consumer's view of its exchange (collects evidence after preview)
  oog demo token (--citizen <idnr> | --dpo [--participants a,b])
                                              print a bearer token from the demo identity provider
  oog log verify [--data-dir <dir>]           recompute every leaf and the tree, check the last checkpoint
  oog log consistency <old-checkpoint> <new-checkpoint> [--data-dir <dir> | --proof <file>] [--cert <file>]
                                              check that the new signed checkpoint extends the old one
  oog log purge [--data-dir <dir>] [--dry-run [--as-of <date>]]
                                              remove the content of records whose retention ended (hashes stay)
  oog log retain <exchangeId> --until <date> --reason <text> [--actor <id>] [--data-dir <dir>]
                                              keep an exchange's records longer, logged with the reason
  oog receipt verify <receipt-file> [--checkpoint <file>] [--cert <file>]
                                              verify a transfer receipt offline
  oog consent verify <consent-receipt-file> [--cert <file>]
                                              verify a consent receipt offline and show what it says
  oog xoev verify <file>                      check an XÖV message offline and explain what failed
  oog policy test [--policies <dir>]          run the policy test cases
  oog certs [--out <dir>]                     regenerate the example PKI (example material only)

Environment: PORT, HOST, OOG_DATA_DIR, DATABASE_URL, OOG_DEMO and more: see README.md.`;

const argv = process.argv.slice(2);
if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
  process.stdout.write(`${USAGE}\n`);
  process.exitCode = argv.length === 0 ? 2 : 0;
} else {
  try {
    process.exitCode = await runCommand(argv);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`oog: ${message}\n`);
    process.exitCode = 2;
  }
}
