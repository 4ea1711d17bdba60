// `npm version <patch|minor|major>` runs this (the "version" script): the new package.json version goes
// into manifest.json, and versions.json records which Obsidian version it needs (its minAppVersion),
// which is how Obsidian finds the newest release a user's app can run.
import { readFileSync, writeFileSync } from 'node:fs';

const version = process.env.npm_package_version;
if (!version) {
  console.error('version-bump: run me through `npm version <patch|minor|major>` (npm_package_version is not set)');
  process.exit(1);
}
const manifest = JSON.parse(readFileSync('manifest.json', 'utf8'));
manifest.version = version;
writeFileSync('manifest.json', `${JSON.stringify(manifest, null, 2)}\n`);

const versions = JSON.parse(readFileSync('versions.json', 'utf8'));
versions[version] = manifest.minAppVersion;
writeFileSync('versions.json', `${JSON.stringify(versions, null, 2)}\n`);
console.log(`version-bump: manifest.json ${version}, needs Obsidian ${manifest.minAppVersion}`);
