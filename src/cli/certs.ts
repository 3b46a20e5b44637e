// `meshlet certs dev`: development certificates for local meshes and tests.
// Prints where files went and which SPIFFE IDs they carry, never key material.
import { writeDevCerts } from '../tls/dev-ca.ts';
import { failure, runCommand, UsageError } from './args.ts';

export const USAGE = `usage: meshlet certs dev --out DIR --trust-domain TD --service NAME [--service NAME ...]
                         [--namespace NS] [--days N] [--new-ca]

Writes a development CA to DIR/ca.{crt,key} (reused when present) and, per
service, DIR/<service>/{tls.crt,tls.key,ca.crt} with the URI SAN
spiffe://<TD>/ns/<NS>/sa/<service>. Keys are EC P-256, mode 0600.

  --out DIR            where to write (created if missing)
  --trust-domain TD    SPIFFE trust domain, e.g. cluster.local
  --service NAME       a service to make a leaf for; repeat for several
  --namespace NS       namespace in the SPIFFE IDs (default: default)
  --days N             leaf validity in days (default: 365)
  --new-ca             make a new CA even if DIR/ca.crt exists
  -h, --help           this text

examples:
  meshlet certs dev --out ./certs --trust-domain cluster.local --service productpage --service reviews
  MESHLET_TLS_DIR=./certs/reviews meshlet run --config mesh.yaml
`;

export const OPTIONS = {
  out: { type: 'string' },
  'trust-domain': { type: 'string' },
  service: { type: 'string', multiple: true },
  namespace: { type: 'string' },
  days: { type: 'string' },
  'new-ca': { type: 'boolean' },
} as const;

export function run(argv: string[]): Promise<number> {
  return runCommand('certs', argv, { options: OPTIONS, usage: USAGE, maxPositionals: 1 }, async (args) => {
    const { positionals, values } = args;
    if (positionals[0] !== 'dev') {
      throw new UsageError(
        positionals[0] === undefined
          ? "missing subcommand: the only subcommand is 'dev'"
          : `unknown subcommand '${positionals[0]}': the only subcommand is 'dev'`,
      );
    }
    if (values.out === undefined) throw new UsageError('--out is required');
    if (values['trust-domain'] === undefined) throw new UsageError('--trust-domain is required');
    if (values.service === undefined || values.service.length === 0) {
      throw new UsageError('at least one --service is required');
    }
    const days = values.days === undefined ? undefined : Number(values.days);
    if (days !== undefined && (!Number.isInteger(days) || days < 1)) {
      throw new UsageError(`--days must be a positive integer, not '${values.days}'`);
    }
    try {
      const result = await writeDevCerts({
        out: values.out,
        trustDomain: values['trust-domain'],
        services: values.service,
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
      return failure('certs', (err as Error).message);
    }
  });
}
