// `meshlet certs dev`: development certificates for local meshes and tests.
// Prints where files went and which SPIFFE IDs they carry, never key material.
import { parseArgs } from 'node:util';
import { writeDevCerts } from '../tls/dev-ca.ts';

const USAGE = `usage: meshlet certs dev --out DIR --trust-domain TD --service NAME [--service NAME ...]
                         [--namespace NS] [--days N] [--new-ca]

Writes a development CA to DIR/ca.{crt,key} (reused when present) and, per
service, DIR/<service>/{tls.crt,tls.key,ca.crt} with the URI SAN
spiffe://<TD>/ns/<NS>/sa/<service>. Keys are EC P-256, mode 0600.
`;

export async function run(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`meshlet certs: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { positionals, values } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const problems: string[] = [];
  if (positionals.length !== 1 || positionals[0] !== 'dev') problems.push("the only subcommand is 'dev'");
  if (values.out === undefined) problems.push('--out is required');
  if (values['trust-domain'] === undefined) problems.push('--trust-domain is required');
  if (values.service === undefined || values.service.length === 0)
    problems.push('at least one --service is required');
  const days = values.days === undefined ? undefined : Number(values.days);
  if (days !== undefined && (!Number.isInteger(days) || days < 1))
    problems.push('--days must be a positive integer');
  if (problems.length > 0) {
    process.stderr.write(`meshlet certs: ${problems.join('; ')}\n\n${USAGE}`);
    return 2;
  }

  try {
    const result = await writeDevCerts({
      out: values.out!,
      trustDomain: values['trust-domain']!,
      services: values.service!,
      ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
      ...(days === undefined ? {} : { days }),
      newCa: values['new-ca'] === true,
    });
    process.stdout.write(
      `${result.caCreated ? 'created' : 'reused'} CA ${values.out}/ca.crt (${result.ca.trustDomain})\n`,
    );
    for (const leaf of result.leaves) {
      process.stdout.write(`${leaf.dir}: ${leaf.spiffeId} (until ${leaf.notAfter.toISOString()})\n`);
    }
    return 0;
  } catch (err) {
    process.stderr.write(`meshlet certs: ${(err as Error).message}\n`);
    return 1;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      out: { type: 'string' },
      'trust-domain': { type: 'string' },
      service: { type: 'string', multiple: true },
      namespace: { type: 'string' },
      days: { type: 'string' },
      'new-ca': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
