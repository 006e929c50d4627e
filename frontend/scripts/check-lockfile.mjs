// Nix fetches every npm package from the lock file alone (no network resolution), so each
// installed entry must name where it came from and its hash. Exit 1 listing the gaps.
// Links point into the tree, and bundled packages ship inside their parent's tarball (whose
// integrity covers them), so neither has an entry of its own to fetch.
import { readFileSync } from 'node:fs'

const lockPath = new URL('../package-lock.json', import.meta.url)
const lock = JSON.parse(readFileSync(lockPath, 'utf8'))

const missing = Object.entries(lock.packages ?? {})
  .filter(([path, entry]) => path !== '' && !entry.link && !entry.inBundle)
  .filter(([, entry]) => !entry.resolved || !entry.integrity)
  .map(([path]) => path)

if (missing.length > 0) {
  console.error(`package-lock.json entries without resolved/integrity:\n  ${missing.join('\n  ')}`)
  process.exit(1)
}
console.log(
  `package-lock.json: ${Object.keys(lock.packages).length - 1} entries, all with resolved and integrity`,
)
