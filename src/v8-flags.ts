import { setFlagsFromString } from 'node:v8';

/**
 * V8's allocation-site pretenuring off, for the service's process and its threads. Pretenuring
 * allocates the objects of a site straight in the old generation once most of them have been seen
 * to survive a young collection. Here it picks the pg driver's row parsing: every row read for a
 * client seen for the first time then went to the old generation and lived until the next full
 * collection (about 1.7 KB per row), and the heap grew to 2.4 GB between full collections with a
 * million clients cached. Off, at a million clients (npm run bench:scale): RSS 1,435 → 853 MB,
 * warm pool 12,163 → 14,391 tokens/s, clients(first: 50) 201 → 348 requests/s.
 *
 * Set before anything else is loaded, so no site was tenured yet. A `node --allocation-site-pretenuring`
 * given on the command line wins.
 */
if (!process.execArgv.some((arg) => /^--(no-)?allocation[-_]site[-_]pretenuring$/.test(arg))) {
  setFlagsFromString('--no-allocation-site-pretenuring');
}
