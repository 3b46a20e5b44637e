// Hot-path cost of routing: host lookup + first-match route selection
// (src/route/match.ts) and the weighted / sticky version pick (src/route/pick.ts),
// on a config shaped like the README's reviews service.
import type { Bench } from 'tinybench';
import { loadMeshText } from '../../src/config/load.ts';
import { matchRoute } from '../../src/route/match.ts';
import { pickVersion, stickyKeyOf } from '../../src/route/pick.ts';

const loaded = loadMeshText(
  `services:
  reviews:
    port: 9080
    versions: { v1: { host: r1 }, v2: { host: r2 }, v3: { host: r3 } }
    routes:
      - match: { headers: { x-user: { exact: jason } } }
        split: { v2: 100 }
      - match: { path: { prefix: /api/ }, method: GET }
        split: { v1: 95, v2: 5 }
        sticky: { header: x-session }
      - match: { path: { regex: "/items/[0-9]+" } }
        split: { v3: 1 }
      - split: { v1: 70, v2: 20, v3: 10 }
`,
  'bench',
  { service: 'bench', workload: 'bench', namespace: 'default', version: 'v1', serviceAccount: 'bench' },
);
if (!loaded.ok) throw new Error('bench config invalid');
const mesh = loaded.mesh;
const headerless = { headers: {} };
const jason = { headers: { 'x-user': 'jason' } };
const session = { headers: { 'x-session': 'user-1234' } };
let seed = 1;
// A deterministic xorshift, so runs are comparable.
const random = (): number => {
  seed ^= seed << 13;
  seed ^= seed >>> 17;
  seed ^= seed << 5;
  return (seed >>> 0) / 4294967296;
};

export default function register(bench: Bench): void {
  bench
    .add('route: host lookup + default route (4th of 4)', () => {
      const service = mesh.hosts.get('reviews:9080')!;
      matchRoute(service, 'GET', '/', headerless);
    })
    .add('route: header match (1st route)', () => {
      matchRoute(mesh.hosts.get('reviews')!, 'GET', '/', jason);
    })
    .add('route: regex path match (3rd route)', () => {
      matchRoute(mesh.hosts.get('reviews')!, 'GET', '/items/42', headerless);
    })
    .add('pick: weighted 70/20/10', () => {
      pickVersion(mesh.services.get('reviews')!.routes[3]!, random, undefined);
    })
    .add('pick: sticky header 95/5', () => {
      const route = mesh.services.get('reviews')!.routes[1]!;
      pickVersion(route, random, stickyKeyOf(route, session.headers));
    });
}
