import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { statsOf } from '../../../../src/admin/page/stats.ts';

const labels = (reporter: string, service: string, version: string, extra: string) =>
  `reporter="${reporter}",source_workload="productpage",destination_service_name="${service}",destination_version="${version}",${extra}`;

const EXPOSITION = `# HELP meshlet_requests_total Requests answered by this sidecar.
# TYPE meshlet_requests_total counter
meshlet_requests_total{${labels('source', 'reviews', 'v1', 'request_method="GET",response_code="200",response_flags="-"')}} 90
meshlet_requests_total{${labels('source', 'reviews', 'v1', 'request_method="POST",response_code="200",response_flags="-"')}} 5
meshlet_requests_total{${labels('source', 'reviews', 'v1', 'request_method="GET",response_code="503",response_flags="UF"')}} 5
meshlet_requests_total{${labels('source', 'reviews', 'v2', 'request_method="GET",response_code="499",response_flags="DC"')}} 1
meshlet_requests_total{${labels('destination', 'productpage', 'v1', 'request_method="GET",response_code="200",response_flags="-"')}} 7
meshlet_request_duration_seconds_bucket{${labels('source', 'reviews', 'v1', 'le="0.005"')}} 60
meshlet_request_duration_seconds_bucket{${labels('source', 'reviews', 'v1', 'le="+Inf"')}} 100
meshlet_request_duration_seconds_bucket{${labels('source', 'reviews', 'v1', 'le="0.1"')}} 99
meshlet_request_duration_seconds_sum{${labels('source', 'reviews', 'v1', '')}} 1.5
meshlet_requests_total_other{${labels('source', 'reviews', 'v1', '')}} 1000
`;

describe('statsOf', () => {
  it('sums each direction, service and version over methods and codes; 5xx are failures, 499 is not', () => {
    const stats = statsOf(EXPOSITION);
    assert.deepEqual(
      stats.map((s) => [s.direction, s.service, s.version, s.requests, s.failures]),
      [
        ['inbound', 'productpage', 'v1', 7, 0],
        ['outbound', 'reviews', 'v1', 100, 5],
        ['outbound', 'reviews', 'v2', 1, 0],
      ],
    );
  });
  it('keeps the duration buckets in order of their bounds, +Inf last', () => {
    const v1 = statsOf(EXPOSITION).find((s) => s.version === 'v1' && s.direction === 'outbound')!;
    assert.deepEqual(v1.buckets, [
      [0.005, 60],
      [0.1, 99],
      ['+Inf', 100],
    ]);
  });
  it('reads escaped label values and never throws on any text', () => {
    const [s] = statsOf(`meshlet_requests_total{destination_service_name="a\\"b",response_code="200"} 3\n`);
    assert.equal(s!.service, 'a"b');
    fc.assert(
      fc.property(fc.string(), (text) => {
        statsOf(`meshlet_requests_total{${text}} 1\n${text}`);
      }),
    );
  });
});
