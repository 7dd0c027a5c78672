/**
 * Summarises a V8 .cpuprofile (node --cpu-prof): self time by function and file, the top entries
 * as percentages of the profile. Usage: node dist/bench/profile-summary.js <file.cpuprofile> [top=30]
 * Paths are shortened to the package (node_modules/<pkg>/…) or the project file.
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

const shortUrl = (url: string) => {
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) return url.slice(modules + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + '/dist/'.length) : url;
};

function main(): void {
  const [file, topRaw] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
  const top = Number(topRaw ?? 30);
  const profile = JSON.parse(readFileSync(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const hits = new Map<number, number>();
  for (const sample of profile.samples) hits.set(sample, (hits.get(sample) ?? 0) + 1);
  const total = profile.samples.length;
  const byFunction = new Map<string, number>();
  const byPackage = new Map<string, number>();
  for (const node of profile.nodes) {
    const count = hits.get(node.id) ?? 0;
    if (count === 0) continue;
    const url = shortUrl(node.callFrame.url);
    const key = `${node.callFrame.functionName || '(anonymous)'}\t${url}:${node.callFrame.lineNumber + 1}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + count);
    const pkg = url.startsWith('@') ? url.split('/').slice(0, 2).join('/') : url.split('/')[0] || node.callFrame.functionName;
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + count);
  }
  const pct = (n: number) => ((n / total) * 100).toFixed(1).padStart(5);
  const sorted = (map: Map<string, number>) => [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  console.log(`samples: ${total}\n\nself %  function\tfile`);
  for (const [key, count] of sorted(byFunction)) console.log(`${pct(count)}  ${key}`);
  console.log('\nself %  package / directory');
  for (const [key, count] of sorted(byPackage)) console.log(`${pct(count)}  ${key}`);
}

main();
