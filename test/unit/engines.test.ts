import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';

const root = path.resolve(__dirname, '../..');
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
const lock = JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8'));

/**
 * `engines.node` promises what every locked dependency accepts: an npm ci on any Node version it
 * admits prints no EBADENGINE warning.
 */
describe('package.json engines', () => {
  it('admits only Node versions every locked package accepts', () => {
    const engines: string = manifest.engines.node;
    const refusing = Object.entries(lock.packages as Record<string, { version: string; engines?: { node?: string } }>)
      .filter(([location, meta]) => location !== '' && meta.engines?.node !== undefined)
      .filter(([, meta]) => !semver.subset(engines, meta.engines!.node!))
      .map(([location, meta]) => `${location}@${meta.version} wants node ${meta.engines!.node}`);
    expect(refusing).toEqual([]);
  });

  it("admits the Node version running the tests (the README's)", () => {
    expect(semver.satisfies(process.versions.node, manifest.engines.node)).toBe(true);
  });
});
