/**
 * The frame of an end-to-end file: a fleet of test hosts and a working directory (the CLI's
 * cwd, holding cluster.yaml and the .k8sprep state), started before the file's tests and
 * removed after them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTestHosts, type TestFleet, type TestHostSpec } from '../hosts/index.js';
import { assertBuilt, tempDir } from './cli.js';

export interface E2eRig {
  fleet: TestFleet;
  /** The working directory. */
  dir: string;
  /** dir/cluster.yaml (written only when a cluster was given). */
  clusterFile: string;
}

/** Registers beforeAll/afterAll; the returned object is filled in by beforeAll. */
export function useTestHosts(specs: readonly TestHostSpec[], opts: { clusterYaml?: (fleet: TestFleet) => string } = {}): E2eRig {
  const rig = {} as E2eRig;
  let work: ReturnType<typeof tempDir> | undefined;
  beforeAll(async () => {
    assertBuilt();
    rig.fleet = await startTestHosts(specs);
    work = tempDir('k8sprep-e2e-');
    rig.dir = work.path;
    rig.clusterFile = join(work.path, 'cluster.yaml');
    if (opts.clusterYaml) writeFileSync(rig.clusterFile, opts.clusterYaml(rig.fleet));
  }, 120_000);
  afterAll(async () => {
    await rig.fleet?.stop();
    work?.remove();
  });
  return rig;
}
