/** The package catalogs the yum and pacman stand-ins offer (catalog/<os>.tsv), for assertions. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { HARNESS_DIR } from './host.js';
import type { TestHostOs } from './types.js';

export interface CatalogPackage {
  name: string;
  /**
   * Versions offered, newest first; or 'kube' (any patch of the Kubernetes repo's minor, CentOS),
   * 'kubeminor' (<minor>.0 of the repo's Kubernetes minor), 'archkube' (the host's
   * archRepoKubeVersion).
   */
  versions: string[] | 'kube' | 'kubeminor' | 'archkube';
  release: string;
  /** CentOS: base | extras | docker-ce | kubernetes (the repo kind it needs). Arch: core | extra. */
  repo: string;
  /** Stand-in commands the package installs. */
  binaries: string[];
  deps: string[];
  preinstalled: boolean;
}

export function catalog(os: TestHostOs): CatalogPackage[] {
  const text = readFileSync(join(HARNESS_DIR, 'catalog', `${os}.tsv`), 'utf8');
  const list = (s: string) => (s === '-' ? [] : s.split(','));
  return text
    .split('\n')
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const [name, versions, release, repo, bins, deps, pre] = l.split('\t') as [string, string, string, string, string, string, string];
      const special = ['kube', 'kubeminor', 'archkube'] as const;
      return {
        name,
        versions: (special as readonly string[]).includes(versions) ? (versions as (typeof special)[number]) : versions.split(','),
        release,
        repo,
        binaries: list(bins),
        deps: list(deps),
        preinstalled: pre === 'yes',
      };
    });
}
