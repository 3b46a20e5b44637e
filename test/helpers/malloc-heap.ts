// The resident size of the glibc main arena (`[heap]` in /proc/self/smaps):
// where OpenSSL's, llhttp's and Node's own native allocations live, so a
// native leak shows here while V8's heap stays flat.
import { readFileSync } from 'node:fs';

export function mallocHeapMiB(): number {
  let mapping = '';
  let kib = 0;
  for (const line of readFileSync('/proc/self/smaps', 'utf8').split('\n')) {
    if (/^[0-9a-f]+-[0-9a-f]+ /.test(line)) mapping = line.split(/\s+/)[5] ?? '';
    else if (mapping === '[heap]' && line.startsWith('Rss:')) kib += Number(line.split(/\s+/)[1]);
  }
  return kib / 1024;
}
